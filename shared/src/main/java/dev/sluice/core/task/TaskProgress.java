package dev.sluice.core.task;

/**
 * Counters of a background task: objects and bytes done and estimated, the phase, and a human message.
 * {@code pagesDone} orders progress writes: a page is counted once even when its step is retried.
 */
public record TaskProgress(long objectsDone, long objectsTotal, long bytesDone, long bytesTotal, TaskPhase phase, String message,
                           long pagesDone) {
    public static TaskProgress preparing() {
        return new TaskProgress(0, 0, 0, 0, TaskPhase.PREPARING, "counting the source folder", 0);
    }
}
