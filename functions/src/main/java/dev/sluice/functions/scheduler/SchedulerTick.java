package dev.sluice.functions.scheduler;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.Wiring;
import dev.sluice.functions.http.RequestLog;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.functions.Priming;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The periodic scheduling tick (an EventBridge Scheduler schedule): one pass over every active resource group —
 * pending timeouts (also where no agent is alive), placements, and the pending explanations. Groups are the unit of
 * scheduling parallelism: their passes run at the same time (at most {@link #PARALLEL_GROUPS}), each under its group's
 * lease, so a slow group does not hold the others back.
 */
public final class SchedulerTick implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    static final int PARALLEL_GROUPS = 8;
    private final ControlPlane plane;

    public SchedulerTick() {
        this(Wiring.fromEnvironment(System.getenv()));
        Priming.register(this);
    }

    public SchedulerTick(Wiring wiring) {
        this.plane = wiring.control();
    }

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> input, Context context) {
        RequestLog log = RequestLog.start(context, "SchedulerTick", "schedule");
        List<ResourceGroup> groups = plane.groupStore().list().stream().filter(ResourceGroup::active).toList();
        Map<String, Object> passes = new LinkedHashMap<>();
        if (groups.isEmpty()) {
            return SchedulerLog.summary(log, passes);
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(PARALLEL_GROUPS, groups.size()), r -> {
            Thread t = new Thread(r, "scheduler-tick-pass");
            t.setDaemon(true);
            return t;
        });
        try {
            Map<String, Future<?>> running = new LinkedHashMap<>();
            for (ResourceGroup group : groups) {
                running.put(group.name(), pool.submit(() -> plane.scheduling().runCoalesced(group, plane.passLease())));
            }
            List<String> failed = new java.util.ArrayList<>();
            for (Map.Entry<String, Future<?>> pass : running.entrySet()) {
                try {
                    passes.put(pass.getKey(), pass.getValue().get());
                } catch (ExecutionException e) {
                    failed.add(pass.getKey() + ": " + e.getCause());
                }
            }
            if (!failed.isEmpty()) { // the other groups' passes are done; the invocation still fails, visibly
                String failure = "scheduling passes failed for " + failed;
                SchedulerLog.failed(log, passes, failure);
                throw new IllegalStateException(failure);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            pool.shutdownNow();
        }
        return SchedulerLog.summary(log, passes);
    }
}
