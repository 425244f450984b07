package dev.sluice.functions.folders;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.sluice.adapters.Wiring;
import dev.sluice.functions.http.RequestLog;
import dev.sluice.core.usecase.FolderDeletion;
import dev.sluice.functions.Priming;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Removes the data of folders too big to delete within a request. Two triggers: the first event of a deletion task
 * (a rule on {@code Task Updated} with kind folder-delete and sequence 1) continues that deletion at once; the schedule
 * continues deletions whose task has not moved for a while (a worker that died or ran out of time). Each invocation
 * works until 30 s before its own timeout and leaves the rest to the sweep.
 */
public final class FolderDeletionWorker implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    private static final Duration MARGIN = Duration.ofSeconds(30);
    /** Without a Lambda context (a direct call), the time one invocation works. */
    private static final Duration WITHOUT_CONTEXT = Duration.ofMinutes(5);

    private final FolderDeletion deletion;

    public FolderDeletionWorker() {
        this(Wiring.fromEnvironment(System.getenv()));
        Priming.register(this);
    }

    public FolderDeletionWorker(Wiring wiring) {
        this.deletion = wiring.folders().deletion();
    }

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> input, Context context) {
        RequestLog log = RequestLog.start(context, "FolderDeletionWorker", input != null && input.get("detail") != null ? "event" : "schedule");
        Duration time = context == null ? WITHOUT_CONTEXT : Duration.ofMillis(context.getRemainingTimeInMillis()).minus(MARGIN);
        FolderDeletion.Budget budget = new FolderDeletion.Budget(Integer.MAX_VALUE, time.compareTo(Duration.ofSeconds(1)) < 0
                ? Duration.ofSeconds(1) : time);
        List<FolderDeletion.Continued> done = new ArrayList<>();
        Object detail = input == null ? null : input.get("detail");
        if (detail instanceof Map<?, ?> d && d.get("id") instanceof String taskId && FolderDeletion.KIND.equals(d.get("kind"))) {
            Optional<Long> announced = d.get("sequence") instanceof Number n ? Optional.of(n.longValue()) : Optional.empty();
            done.add(deletion.resume(taskId, budget, announced));
        } else {
            done.addAll(deletion.sweep(budget, 100));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("tasks", done.stream().map(c -> Map.of("task_id", c.taskId(), "removed", c.removed(), "ended", c.ended())).toList());
        out.forEach(log::put);
        log.end(200, null);
        return out;
    }
}
