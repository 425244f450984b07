package dev.sluice.core.port;

import dev.sluice.core.usecase.CloneState;

/** Runs the copy of a clone in the background (a Step Functions execution on AWS). */
public interface CloneWorkflow {
    /** Starts the execution named {@code executionName} (a second start with the same name starts nothing); its id. */
    String start(String executionName, CloneState input);

    /** Whether an execution still runs, ended well, or ended without finishing its work. */
    enum ExecutionState { RUNNING, SUCCEEDED, ENDED_BADLY, UNKNOWN }

    ExecutionState state(String executionId);

    /** Stops an execution if it still runs. */
    void stop(String executionId, String cause);
}
