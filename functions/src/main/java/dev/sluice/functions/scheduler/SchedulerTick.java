package dev.sluice.functions.scheduler;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.json.Json;
import dev.sluice.core.group.ResourceGroup;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The periodic scheduling tick (an EventBridge Scheduler schedule): for every active resource group, cancels the
 * pending sessions past the group's pending timeout, whether or not the group has a live agent.
 */
public final class SchedulerTick implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    private final ControlPlane plane;

    public SchedulerTick() {
        this(ControlPlane.fromEnvironment(System.getenv()));
    }

    public SchedulerTick(ControlPlane plane) {
        this.plane = plane;
    }

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> input, Context context) {
        long started = System.nanoTime();
        Map<String, Object> cancelled = new LinkedHashMap<>();
        for (ResourceGroup group : plane.groupStore().list()) {
            if (group.active()) {
                cancelled.put(group.name(), plane.sessions().cancelExpiredPending(group));
            }
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("level", "INFO");
        summary.put("requestId", context == null ? null : context.getAwsRequestId());
        summary.put("function", "scheduler-tick");
        summary.put("pendingTimeoutCancelled", cancelled);
        summary.put("durationMs", (System.nanoTime() - started) / 1_000_000.0);
        System.out.println(Json.write(summary));
        return summary;
    }
}
