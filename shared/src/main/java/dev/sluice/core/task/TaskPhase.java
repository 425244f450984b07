package dev.sluice.core.task;

/** What a clone is doing now (DataSync-style). */
public enum TaskPhase {
    PREPARING, TRANSFERRING, VERIFYING, FINISHED;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
