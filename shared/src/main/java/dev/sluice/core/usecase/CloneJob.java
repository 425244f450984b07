package dev.sluice.core.usecase;

/** Which clone a workflow execution works for: the task, and the source and target folders by id and name. */
public record CloneJob(String taskId, String owner, String sourceId, String sourceName, String targetId, String targetName) {

    /** The clone a task copies for (the task keeps the source's and target's ids and names). */
    public static CloneJob of(dev.sluice.core.task.BackgroundTask task) {
        dev.sluice.core.json.JsonObject r = task.result();
        return new CloneJob(task.id(), task.owner(), r.text("source_id").orElse(null), r.text("source_name").orElse(null),
                r.text("target_id").orElse(null), r.text("target_name").orElse(null));
    }

    /** Execution names are deterministic: a retried start or continuation never runs the copy twice. */
    public static String executionName(String taskId, int generation) {
        return "clone-" + taskId + "-" + generation;
    }
}
