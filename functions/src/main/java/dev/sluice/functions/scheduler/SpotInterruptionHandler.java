package dev.sluice.functions.scheduler;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.Wiring;
import dev.sluice.core.agent.Interruption;
import dev.sluice.core.usecase.AgentWorkService;
import dev.sluice.functions.Priming;
import dev.sluice.functions.http.RequestLog;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * EC2's spot interruption warnings and rebalance recommendations (EventBridge rules on the account's default bus,
 * source {@code aws.ec2}): drains the agent whose id is the instance's id and records the interruption
 * ({@link AgentWorkService#interrupt}); the agent hears a warning's deadline in its next heartbeat answer, and the
 * scheduler passes over the agent's group at once. An instance no agent has is logged and left alone. A store or bus
 * error fails the invocation, which EventBridge retries (then parks the event in the rule's dead-letter queue).
 */
public final class SpotInterruptionHandler implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    /** Env: the source the local runtime puts its injected warnings with (the emulator refuses {@code aws.*}, as AWS does). */
    static final String LOCAL_SOURCE_SETTING = "SLUICE_LOCAL_EC2_EVENT_SOURCE";
    private final ControlPlane plane;
    private final String localSource;

    public SpotInterruptionHandler() {
        this(Wiring.fromEnvironment(System.getenv()));
        Priming.register(this);
    }

    public SpotInterruptionHandler(Wiring wiring) {
        this.plane = wiring.control();
        // Only the local stack sets it (template: IsLocal); its rule alone matches that source. Deployed on AWS it is
        // empty, and an event of any source but aws.ec2 is ignored, so nobody can drain an agent by a forged event.
        this.localSource = wiring.setting(LOCAL_SOURCE_SETTING, "");
    }

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        RequestLog log = RequestLog.start(context, "SpotInterruption", "event");
        Map<String, Object> out = new LinkedHashMap<>();
        StringBuilder why = new StringBuilder();
        Object detail = event.get("detail");
        Object instance = detail instanceof Map<?, ?> d ? d.get("instance-id") : null;
        String source = text(event.get("source"));
        if (!localSource.isEmpty() && localSource.equals(source)) {
            source = "aws.ec2";
        }
        Optional<Interruption.ForInstance> notice = Interruption.fromEvent(source, text(event.get("detail-type")),
                text(event.get("time")), text(instance), why::append);
        if (notice.isEmpty()) {
            out.put("outcome", "ignored");
            out.put("reason", why.toString());
        } else {
            AgentWorkService.InterruptionOutcome o = plane.agentWork().interrupt(notice.get().instanceId(), notice.get().interruption());
            out.put("instance_id", o.instanceId());
            out.put("source", o.interruption().source());
            o.interruption().deadline().ifPresent(d -> out.put("deadline", d.toString()));
            if (o.agent().isEmpty()) {
                out.put("outcome", "no-agent");
            } else {
                out.put("outcome", o.changed() ? "drained" : "already-recorded");
                out.put("resource_group", o.agent().get().resourceGroup());
            }
        }
        out.forEach(log::put);
        log.end(200, null);
        return out;
    }

    private static String text(Object value) {
        return value instanceof String s ? s : null;
    }
}
