package dev.sluice.functions.scheduler;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.functions.Priming;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The periodic scheduling tick (an EventBridge Scheduler schedule): one pass over every active resource group —
 * pending timeouts (also where no agent is alive), placements, and the pending explanations.
 */
public final class SchedulerTick implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    private final ControlPlane plane;

    public SchedulerTick() {
        this(ControlPlane.fromEnvironment(System.getenv()));
        Priming.register(this);
    }

    public SchedulerTick(ControlPlane plane) {
        this.plane = plane;
    }

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> input, Context context) {
        long started = System.nanoTime();
        Map<String, Object> passes = new LinkedHashMap<>();
        for (ResourceGroup group : plane.groupStore().list()) {
            if (group.active()) {
                passes.put(group.name(), plane.scheduling().runCoalesced(group, plane.passLease()));
            }
        }
        return SchedulerLog.summary("scheduler-tick", context, passes, started);
    }
}
