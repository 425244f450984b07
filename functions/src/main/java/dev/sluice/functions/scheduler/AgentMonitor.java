package dev.sluice.functions.scheduler;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.json.Json;
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
        this(ControlPlane.fromEnvironment(System.getenv()));
        Priming.register(this);
    }

    public AgentMonitor(ControlPlane plane) {
        this.plane = plane;
    }

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        AgentWorkService.Sweep sweep = plane.agentWork().sweepLostAgents();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("lost_agents", sweep.lost());
        out.put("resolved_sessions", sweep.resolvedSessions());
        Map<String, Object> line = new LinkedHashMap<>(out);
        line.put("level", "INFO");
        line.put("event", "agent-sweep");
        System.out.println(Json.write(line));
        return out;
    }
}
