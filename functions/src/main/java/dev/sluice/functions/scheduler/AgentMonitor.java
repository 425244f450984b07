package dev.sluice.functions.scheduler;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.Wiring;
import dev.sluice.functions.http.RequestLog;
import dev.sluice.core.usecase.AgentWorkService;
import dev.sluice.functions.Priming;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs on a schedule: agents without a heartbeat for the timeout become LOST, and the sessions of lost agents become
 * ERROR {@code agent-lost} with their slots given back.
 */
public final class AgentMonitor implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    private final ControlPlane plane;

    public AgentMonitor() {
        this(Wiring.fromEnvironment(System.getenv()));
        Priming.register(this);
    }

    public AgentMonitor(Wiring wiring) {
        this.plane = wiring.control();
    }

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        RequestLog log = RequestLog.start(context, "AgentMonitor", "schedule");
        AgentWorkService.Sweep sweep = plane.agentWork().sweepLostAgents();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("lost_agents", sweep.lost());
        out.put("resolved_sessions", sweep.resolvedSessions());
        out.forEach(log::put);
        log.end(200, null);
        return out;
    }
}
