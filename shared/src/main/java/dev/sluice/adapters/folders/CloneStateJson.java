package dev.sluice.adapters.folders;

import dev.sluice.core.usecase.CloneCursor;
import dev.sluice.core.usecase.CloneJob;
import dev.sluice.core.usecase.CloneState;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The one mapping between {@link CloneState} and the JSON the clone state machine passes between its states
 * (infra/statemachines/folder-clone.asl.json). The definition reads {@value #GENERATION_PATH},
 * {@value #HAS_MORE_PATH}, {@value #PAGES_HERE_PATH} and {@value #PAGES_PER_EXECUTION_PATH} in its choices and
 * writes a caught error to {@value #FAILURE_PATH}; a test holds the definition to these paths.
 */
public final class CloneStateJson {
    public static final String GENERATION_PATH = "$.generation";
    public static final String HAS_MORE_PATH = "$.cursor.has_more";
    public static final String PAGES_HERE_PATH = "$.cursor.pages_here";
    public static final String PAGES_PER_EXECUTION_PATH = "$.pages_per_execution";
    public static final String FAILURE_PATH = "$.failure";

    private CloneStateJson() {
    }

    public static Map<String, Object> toJson(CloneState state) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("job", job(state.job()));
        m.put("page_size", state.pageSize());
        m.put("pages_per_execution", state.pagesPerExecution());
        m.put("generation", state.generation());
        Map<String, Object> cursor = new LinkedHashMap<>();
        cursor.put("token", state.cursor().token().orElse(null));
        cursor.put("pages_done", state.cursor().pagesDone());
        cursor.put("pages_here", state.cursor().pagesHere());
        cursor.put("has_more", state.cursor().hasMore());
        m.put("cursor", cursor);
        m.put("estimate", Map.of("objects", state.estimate().objects(), "bytes", state.estimate().bytes(),
                "complete", state.estimate().complete()));
        state.failure().ifPresent(f -> {
            Map<String, Object> failure = new LinkedHashMap<>();
            f.error().ifPresent(e -> failure.put("Error", e));
            f.cause().ifPresent(c -> failure.put("Cause", c));
            m.put("failure", failure);
        });
        return m;
    }

    public static CloneState fromJson(Map<String, Object> m) {
        Map<String, Object> cursor = object(m, "cursor");
        Object estimate = m.get("estimate");
        CloneState.Estimate counted = estimate instanceof Map<?, ?> e
                ? new CloneState.Estimate(number(e, "objects"), number(e, "bytes"), Boolean.TRUE.equals(e.get("complete")))
                : CloneState.Estimate.NONE;
        Optional<CloneState.Failure> failure = m.get("failure") instanceof Map<?, ?> f
                ? Optional.of(CloneState.Failure.of(f.get("Error") instanceof String e ? e : null, f.get("Cause") instanceof String c ? c : null))
                : Optional.empty();
        return new CloneState(job(object(m, "job")), (int) number(m, "page_size"), (int) number(m, "pages_per_execution"),
                (int) number(m, "generation"),
                new CloneCursor(Optional.ofNullable((String) cursor.get("token")), number(cursor, "pages_done"),
                        number(cursor, "pages_here"), Boolean.TRUE.equals(cursor.get("has_more"))),
                counted, failure);
    }

    private static Map<String, Object> job(CloneJob job) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("task_id", job.taskId());
        m.put("owner", job.owner());
        m.put("source_id", job.sourceId());
        m.put("source_name", job.sourceName());
        m.put("target_id", job.targetId());
        m.put("target_name", job.targetName());
        return m;
    }

    private static CloneJob job(Map<String, Object> m) {
        return new CloneJob(text(m, "task_id"), text(m, "owner"), text(m, "source_id"), text(m, "source_name"), text(m, "target_id"),
                text(m, "target_name"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof Map<?, ?> value)) {
            throw new IllegalArgumentException("clone state has no '" + key + "'");
        }
        return (Map<String, Object>) value;
    }

    private static long number(Map<?, ?> m, String key) {
        if (!(m.get(key) instanceof Number n)) {
            throw new IllegalArgumentException("clone state has no '" + key + "'");
        }
        return n.longValue();
    }

    private static String text(Map<String, Object> m, String key) {
        if (!(m.get(key) instanceof String s)) {
            throw new IllegalArgumentException("clone state has no '" + key + "'");
        }
        return s;
    }
}
