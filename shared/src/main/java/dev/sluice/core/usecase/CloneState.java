package dev.sluice.core.usecase;

import java.util.Optional;

/**
 * The state of one clone workflow execution, as its steps pass it along (issue #15: typed, not a map). The JSON form
 * the state machine reads its choices from lives in one place, {@code dev.sluice.adapters.folders.CloneStateJson}.
 *
 * @param job               which clone this is
 * @param pageSize          objects listed (and copied) per page
 * @param pagesPerExecution pages an execution copies before it continues as a new one
 * @param generation        0 for the first execution, then one more for each continuation
 * @param cursor            where the copy stands
 * @param estimate          what prepare counted in the source
 * @param failure           the error the state machine caught, on the way to cleanup
 */
public record CloneState(CloneJob job, int pageSize, int pagesPerExecution, int generation, CloneCursor cursor, Estimate estimate,
                         Optional<Failure> failure) {

    /** What prepare counted: objects and bytes, and whether the count reached the end of the source. */
    public record Estimate(long objects, long bytes, boolean complete) {
        public static final Estimate NONE = new Estimate(0, 0, false);
    }

    /** An error the state machine caught (States Language's {@code Error} and {@code Cause}, either may be absent). */
    public record Failure(Optional<String> error, Optional<String> cause) {
        public static Failure of(String error, String cause) {
            return new Failure(Optional.ofNullable(error), Optional.ofNullable(cause));
        }
    }

    /** The input of the first execution: the job, the settings, a cursor at the start and nothing counted. */
    public static CloneState first(CloneJob job, CloneSettings settings) {
        return new CloneState(job, settings.pageSize(), settings.pagesPerExecution(), 0, CloneCursor.START, Estimate.NONE,
                Optional.empty());
    }

    public CloneState withEstimate(Estimate next) {
        return new CloneState(job, pageSize, pagesPerExecution, generation, cursor, next, failure);
    }

    public CloneState withCursor(CloneCursor next) {
        return new CloneState(job, pageSize, pagesPerExecution, generation, next, estimate, failure);
    }

    public CloneState withFailure(Failure caught) {
        return new CloneState(job, pageSize, pagesPerExecution, generation, cursor, estimate, Optional.of(caught));
    }

    /** The input of the next execution: one generation on, the cursor's per-execution page count back to zero, no failure. */
    public CloneState continued() {
        return new CloneState(job, pageSize, pagesPerExecution, generation + 1,
                new CloneCursor(cursor.token(), cursor.pagesDone(), 0, cursor.hasMore()), estimate, Optional.empty());
    }
}
