package dev.sluice.functions.scheduler;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.ScheduledEvent;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.Wiring;
import dev.sluice.functions.http.RequestLog;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.functions.Priming;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Runs a scheduling pass for one group as soon as something there changed (a session was enqueued or ended), so a
 * change is acted on within a second instead of at the next tick. Triggered by an EventBridge rule on the bus.
 */
public final class SchedulerNudge implements RequestHandler<ScheduledEvent, Map<String, Object>> {
    private final ControlPlane plane;

    public SchedulerNudge() {
        this(Wiring.fromEnvironment(System.getenv()));
        Priming.register(this);
    }

    public SchedulerNudge(Wiring wiring) {
        this.plane = wiring.control();
    }

    @Override
    public Map<String, Object> handleRequest(ScheduledEvent event, Context context) {
        RequestLog log = RequestLog.start(context, "SchedulerNudge", "event");
        Map<String, Object> passes = new LinkedHashMap<>();
        Object group = event.getDetail() == null ? null : event.getDetail().get("resource_group");
        if (group instanceof String name && endOfASession(event) && !plane.sessionStore().anyPendingIn(name)) {
            // A session ended and nothing waits in its group: a pass would place nothing. (A session enqueued meanwhile
            // is nudged by its own PENDING event; the tick runs every group once a minute anyway.)
            passes.put(name, "nothing pending");
            return SchedulerLog.summary(log, passes);
        }
        Optional<ResourceGroup> target = group instanceof String name ? plane.groupStore().find(name) : Optional.empty();
        target.filter(ResourceGroup::active).ifPresent(g -> passes.put(g.name(), plane.scheduling().runCoalesced(g, plane.passLease())));
        return SchedulerLog.summary(log, passes);
    }

    private static final java.util.Set<String> ENDS = java.util.Set.of("TERMINATED", "CANCELLED", "ERROR");

    /** A session's end (what frees slots), as opposed to an enqueue or a change of a group or an agent. */
    static boolean endOfASession(ScheduledEvent event) {
        return dev.sluice.core.event.BusEvent.SESSION_STATUS_CHANGED.source().equals(event.getSource())
                && dev.sluice.core.event.BusEvent.SESSION_STATUS_CHANGED.detailType().equals(event.getDetailType())
                && ENDS.contains(String.valueOf(event.getDetail().get("status")));
    }
}
