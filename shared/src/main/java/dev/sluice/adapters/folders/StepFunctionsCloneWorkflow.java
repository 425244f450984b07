package dev.sluice.adapters.folders;

import dev.sluice.adapters.json.Json;
import dev.sluice.core.port.CloneWorkflow;
import dev.sluice.core.usecase.CloneState;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.ExecutionAlreadyExistsException;
import software.amazon.awssdk.services.sfn.model.ExecutionDoesNotExistException;

/** The clone state machine (Standard): started with a deterministic execution name, stopped on cancel. */
public final class StepFunctionsCloneWorkflow implements CloneWorkflow {
    private final SfnClient sfn;
    private final String stateMachineArn;

    public StepFunctionsCloneWorkflow(SfnClient sfn, String stateMachineArn) {
        this.sfn = sfn;
        this.stateMachineArn = stateMachineArn;
    }

    @Override
    public String start(String executionName, CloneState input) {
        try {
            return sfn.startExecution(b -> b.stateMachineArn(stateMachineArn).name(executionName)
                    .input(Json.write(CloneStateJson.toJson(input)))).executionArn();
        } catch (ExecutionAlreadyExistsException e) {
            // Started before (a retried step or request): the one execution of that name is the one that runs.
            return executionArn(executionName);
        }
    }

    /** The ARN of a named execution of this state machine. */
    String executionArn(String executionName) {
        return stateMachineArn.replace(":stateMachine:", ":execution:") + ":" + executionName;
    }

    @Override
    public ExecutionState state(String executionId) {
        try {
            switch (sfn.describeExecution(b -> b.executionArn(executionId)).statusAsString()) {
                case "RUNNING":
                    return ExecutionState.RUNNING;
                case "SUCCEEDED":
                    return ExecutionState.SUCCEEDED;
                case "FAILED":
                case "TIMED_OUT":
                case "ABORTED":
                    return ExecutionState.ENDED_BADLY;
                default:
                    return ExecutionState.UNKNOWN;
            }
        } catch (ExecutionDoesNotExistException e) {
            return ExecutionState.UNKNOWN;
        }
    }

    @Override
    public void stop(String executionId, String cause) {
        try {
            sfn.stopExecution(b -> b.executionArn(executionId).cause(cause));
        } catch (ExecutionDoesNotExistException e) {
            // Already gone: nothing to stop.
        }
    }
}
