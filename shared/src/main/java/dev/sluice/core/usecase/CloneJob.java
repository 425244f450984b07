package dev.sluice.core.usecase;

import java.util.LinkedHashMap;
import java.util.Map;

/** Which clone a workflow execution works for: the task, and the source and target folders by id and name. */
public record CloneJob(String taskId, String owner, String sourceId, String sourceName, String targetId, String targetName) {

    /** The clone a task copies for (the task keeps the source's and target's ids and names). */
    public static CloneJob of(dev.sluice.core.task.BackgroundTask task) {
        Map<String, Object> r = task.result();
        return new CloneJob(task.id(), task.owner(), (String) r.get("source_id"), (String) r.get("source_name"),
                (String) r.get("target_id"), (String) r.get("target_name"));
    }

    /** Execution names are deterministic: a retried start or continuation never runs the copy twice. */
    public static String executionName(String taskId, int generation) {
        return "clone-" + taskId + "-" + generation;
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("task_id", taskId);
        m.put("owner", owner);
        m.put("source_id", sourceId);
        m.put("source_name", sourceName);
        m.put("target_id", targetId);
        m.put("target_name", targetName);
        return m;
    }

    public static CloneJob fromMap(Map<String, Object> m) {
        return new CloneJob(text(m, "task_id"), text(m, "owner"), text(m, "source_id"), text(m, "source_name"), text(m, "target_id"),
                text(m, "target_name"));
    }

    /** The input of the first execution: the job, the settings, and a cursor at the start. */
    public Map<String, Object> firstInput(CloneSettings settings) {
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("job", toMap());
        state.put("page_size", settings.pageSize());
        state.put("pages_per_execution", settings.pagesPerExecution());
        state.put("generation", 0);
        state.put("cursor", CloneCursor.START.toMap());
        state.put("estimate", Map.of("objects", 0L, "bytes", 0L, "complete", false));
        return state;
    }

    static String text(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException("clone state has no '" + key + "'");
        }
        return s;
    }
}
