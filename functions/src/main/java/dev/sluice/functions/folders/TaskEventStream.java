package dev.sluice.functions.folders;

import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.FolderPlane;
import dev.sluice.adapters.folders.TaskView;
import dev.sluice.adapters.json.Json;
import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import dev.sluice.core.task.BackgroundTask;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@code GET /tasks/{id}/events} as a stream of server-sent events: the task's state now, then one event per update
 * (id = the task's sequence, so a reconnecting client resumes with Last-Event-ID), and a final event ({@code done},
 * {@code failed} or {@code cancelled}) after which the stream closes. A finished task replays its final state at once.
 * Updates are learned from the bus ({@link Wakeups}); the task item is read again on each, so the stream always shows
 * the stored state in order.
 */
public final class TaskEventStream {
    /** Heartbeat comment interval (keeps proxies from closing an idle stream; also re-reads the task). */
    static final Duration HEARTBEAT = Duration.ofSeconds(10);

    /** Tells the stream that a task may have changed (fed by the bus's task events). */
    public interface Wakeups {
        /** A number that grows with every signal for this task. */
        long version(String taskId);

        /** Waits until the version passes {@code seen}, or the timeout. */
        void await(String taskId, long seen, Duration timeout) throws InterruptedException;
    }

    /** Where the stream is written: an HTTP response. */
    public interface Sink {
        void start(int status, String contentType) throws IOException;

        void write(String text) throws IOException;
    }

    private final ControlPlane plane;
    private final FolderPlane folders;
    private final Wakeups wakeups;

    public TaskEventStream(ControlPlane plane, FolderPlane folders, Wakeups wakeups) {
        this.plane = plane;
        this.folders = folders;
        this.wakeups = wakeups;
    }

    public static String frame(BackgroundTask task) {
        String event = task.status().isFinal() ? task.status().wireName() : "progress";
        return "id: " + task.sequence() + "\nevent: " + event + "\ndata: " + Json.write(TaskView.of(task)) + "\n\n";
    }

    public void serve(Optional<String> authorization, String taskId, Optional<String> lastEventId, Sink sink)
            throws IOException, InterruptedException {
        BackgroundTask task;
        try {
            Principal caller = plane.tokens().verifyHeader(authorization.orElse(null));
            if (caller.isAgent()) {
                throw new DomainException(ErrorCode.FORBIDDEN, "Authorization", "an agent identity may only use the agent API");
            }
            task = folders.tasks().get(caller, taskId);
        } catch (DomainException e) {
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("code", e.code().wireName());
            error.put("message", e.getMessage());
            error.put("field", e.field().orElse(null));
            sink.start(e.code().httpStatus(), "application/json");
            sink.write(Json.write(Map.of("error", error)));
            return;
        }
        long sent = lastEventId.flatMap(TaskEventStream::sequence).orElse(0L);
        sink.start(200, "text/event-stream");
        sink.write("retry: 1000\n\n");
        while (true) {
            long version = wakeups.version(taskId);
            if (task.sequence() > sent || task.status().isFinal()) {
                sink.write(frame(task));
                sent = task.sequence();
            }
            if (task.status().isFinal()) {
                return;
            }
            long before = version;
            wakeups.await(taskId, before, HEARTBEAT);
            if (wakeups.version(taskId) == before) {
                sink.write(": keep-alive\n\n");
            }
            task = folders.taskStore().find(taskId).orElseThrow(() -> new IllegalStateException("task " + taskId + " vanished"));
        }
    }

    private static Optional<Long> sequence(String text) {
        try {
            return Optional.of(Long.parseLong(text.trim()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
