package dev.sluice.core.task;

/** A background task's status: running, or how it ended. */
public enum TaskStatus {
    STARTED, DONE, FAILED, CANCELLED;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public boolean isFinal() {
        return this != STARTED;
    }
}
