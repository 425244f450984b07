package dev.sluice.functions.folders;

import dev.sluice.adapters.FolderPlane;
import dev.sluice.adapters.Wiring;
import dev.sluice.adapters.folders.TaskView;
import dev.sluice.adapters.json.Json;
import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
import dev.sluice.functions.http.ApiHandler;
import dev.sluice.functions.http.ApiResponses;
import dev.sluice.functions.http.RequestLog;
import dev.sluice.core.task.BackgroundTask;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code GET /tasks/{id}/events} as a stream of server-sent events: the task's state now, then one event per update
 * (id = the task's sequence, so a reconnecting client resumes with Last-Event-ID), and a final event ({@code done},
 * {@code failed} or {@code cancelled}) after which the stream closes. A finished task replays its final state at once.
 * Updates are the ones the bus delivered ({@link Wakeups}), one event each, in sequence order; when one is missing or
 * none came for a while, the stored task is read and sent instead, so the stream never shows a state out of order.
 */
public final class TaskEventStream {
    /** Heartbeat comment interval (keeps proxies from closing an idle stream; also re-reads the task). */
    static final Duration HEARTBEAT = Duration.ofSeconds(10);

    /** The task updates the bus delivered (fed by the bus's {@code Task Updated} events). */
    public interface Wakeups {
        /** A number that grows with every update delivered for this task. */
        long version(String taskId);

        /** Waits until the version passes {@code seen}, or the timeout. */
        void await(String taskId, long seen, Duration timeout) throws InterruptedException;

        /** The delivered updates of the task (each the task as the API shows it) with a sequence above {@code sequence}, in order. */
        List<Map<String, Object>> after(String taskId, long sequence);
    }

    /** Where the stream is written: an HTTP response. */
    public interface Sink {
        void start(int status, String contentType) throws IOException;

        void write(String text) throws IOException;
    }

    private final dev.sluice.adapters.ControlPlane plane;
    private final FolderPlane folders;
    private final Wakeups wakeups;

    public TaskEventStream(Wiring wiring, Wakeups wakeups) {
        this.plane = wiring.control();
        this.folders = wiring.folders();
        this.wakeups = wakeups;
    }

    public static String frame(BackgroundTask task) {
        String event = task.status().isFinal() ? task.status().wireName() : "progress";
        return "id: " + task.sequence() + "\nevent: " + event + "\ndata: " + Json.write(TaskView.of(task)) + "\n\n";
    }

    /** Serves one stream, and logs it as the request frame logs every request, when it ends. */
    public void serve(Optional<String> authorization, String taskId, Optional<String> lastEventId, Sink sink)
            throws IOException, InterruptedException {
        RequestLog log = RequestLog.start(null, "TaskEventStream", "GET", "/tasks/{id}/events");
        int status = 200;
        String failure = null;
        try {
            status = stream(authorization, taskId, lastEventId, sink);
        } catch (IOException | InterruptedException | RuntimeException e) {
            failure = RequestLog.failure(e);
            throw e;
        } finally {
            log.end(failure == null ? status : 500, failure);
        }
    }

    private int stream(Optional<String> authorization, String taskId, Optional<String> lastEventId, Sink sink)
            throws IOException, InterruptedException {
        BackgroundTask task;
        try {
            Principal caller = ApiHandler.user(plane, authorization);
            task = folders.tasks().get(caller, taskId);
        } catch (DomainException e) {
            sink.start(e.code().httpStatus(), "application/json");
            sink.write(ApiResponses.error(e).getBody());
            return e.code().httpStatus();
        }
        long sent = lastEventId.flatMap(TaskEventStream::sequence).orElse(0L);
        sink.start(200, "text/event-stream");
        sink.write("retry: 1000\n\n");
        if (task.sequence() > sent || task.status().isFinal()) {
            sink.write(frame(task));
            sent = task.sequence();
        }
        boolean ended = task.status().isFinal();
        while (!ended) {
            long before = wakeups.version(taskId);
            List<Map<String, Object>> updates = wakeups.after(taskId, sent);
            if (updates.isEmpty()) {
                wakeups.await(taskId, before, HEARTBEAT);
                updates = wakeups.after(taskId, sent);
            }
            if (!updates.isEmpty() && sequenceOf(updates.get(0)) == sent + 1) {
                // One event per update, in order, as the bus delivered them.
                for (Map<String, Object> update : updates) {
                    if (sequenceOf(update) != sent + 1) {
                        break;
                    }
                    sink.write(frame(update));
                    sent = sequenceOf(update);
                    if (isFinal(update)) {
                        ended = true;
                        break;
                    }
                }
                continue;
            }
            // Nothing delivered in a while, or an update missing: the stored task is the truth.
            BackgroundTask now = folders.taskStore().find(taskId).orElseThrow(() -> new IllegalStateException("task " + taskId + " vanished"));
            if (now.sequence() > sent) {
                sink.write(frame(now));
                sent = now.sequence();
                ended = now.status().isFinal();
            } else {
                sink.write(": keep-alive\n\n");
            }
        }
        return 200;
    }

    /** A delivered update as a server-sent event (the bus event's own fields removed: the data is the task). */
    static String frame(Map<String, Object> update) {
        Map<String, Object> task = new LinkedHashMap<>(update);
        task.remove("version");
        task.remove("event");
        String status = String.valueOf(task.get("status"));
        String event = status.equals("started") ? "progress" : status;
        return "id: " + sequenceOf(update) + "\nevent: " + event + "\ndata: " + Json.write(task) + "\n\n";
    }

    private static long sequenceOf(Map<String, Object> update) {
        return ((Number) update.get("sequence")).longValue();
    }

    private static boolean isFinal(Map<String, Object> update) {
        return !"started".equals(update.get("status"));
    }

    private static Optional<Long> sequence(String text) {
        try {
            return Optional.of(Long.parseLong(text.trim()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
