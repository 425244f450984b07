package dev.sluice.functions.folders;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.sluice.adapters.Wiring;
import dev.sluice.adapters.folders.CloneStateJson;
import dev.sluice.functions.http.RequestLog;
import dev.sluice.core.usecase.CloneState;
import dev.sluice.core.usecase.CloneSteps;
import dev.sluice.functions.Priming;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Lambda task of every state of the clone workflow: {@code {"action": ..., "state": {...}}} in, the next state out.
 * A {@link CloneSteps.CloneFailed} (or any error) fails the state, which the state machine catches into cleanup.
 */
public final class CloneStep implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    private final CloneSteps steps;

    public CloneStep() {
        this(Wiring.fromEnvironment(System.getenv()));
        Priming.register(this);
    }

    public CloneStep(Wiring wiring) {
        this.steps = wiring.folders().cloneSteps();
    }

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> input, Context context) {
        String action = String.valueOf(input.get("action"));
        RequestLog log = RequestLog.start(context, "CloneStep", "step").put("step", action);
        String failure = null;
        try {
            switch (action) {
                case "prepare":
                    return CloneStateJson.toJson(steps.prepare(state(input)));
                case "copy-page":
                    return CloneStateJson.toJson(steps.copyPage(state(input), context == null ? CloneSteps.DEFAULT_STEP_TIME
                            : java.time.Duration.ofMillis(context.getRemainingTimeInMillis())));
                case "continue":
                    CloneSteps.Continued continued = steps.continueAsNew(state(input));
                    return Map.of("continued_as", continued.execution(), "generation", continued.generation());
                case "finish":
                    return Map.of("status", "done", "objects", steps.finish(state(input)).objects());
                case "cleanup":
                    return Map.of("status", "cleaned-up", "reason", steps.cleanup(state(input)).reason());
                default:
                    throw new IllegalArgumentException("unknown clone step '" + action + "'");
            }
        } catch (RuntimeException e) {
            failure = e.getClass().getSimpleName() + ": " + e.getMessage();
            throw e;
        } finally {
            // A failed step is a WARN: the state machine catches it into cleanup.
            log.put("outcome", failure == null ? "ok" : failure).end(failure == null ? "INFO" : "WARN", failure == null ? 200 : 500, null);
        }
    }

    @SuppressWarnings("unchecked")
    private static CloneState state(Map<String, Object> input) {
        if (!(input.get("state") instanceof Map<?, ?> state)) {
            throw new IllegalArgumentException("clone step input has no 'state'");
        }
        return CloneStateJson.fromJson((Map<String, Object>) state);
    }
}
