package dev.sluice.core.task;

/** What a task is doing now (DataSync-style): a clone prepares, transfers and verifies; a folder deletion removes. */
public enum TaskPhase {
    PREPARING, TRANSFERRING, VERIFYING, REMOVING, FINISHED;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
