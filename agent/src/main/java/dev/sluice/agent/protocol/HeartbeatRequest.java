package dev.sluice.agent.protocol;

import dev.sluice.protocol.AgentReports;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A heartbeat: the agent's group, capacity, version and what runs, and the step reports it carries
 * ({@link AgentReports}).
 */
public record HeartbeatRequest(String resourceGroup, Map<String, String> availableSlots, String architecture, String version,
                               Map<String, String> computePlugins, List<Running> running) {

    public HeartbeatRequest {
        running = List.copyOf(running);
    }

    /** A session this agent holds, with its status as the heartbeat says it. */
    public record Running(String sessionId, String status) {
        Map<String, Object> toWire() {
            return Map.of("session_id", sessionId, "status", status);
        }
    }

    /** The body without reports (the reports go last, once they are measured). */
    public Map<String, Object> toWire() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("resource_group", resourceGroup);
        body.put("available_slots", availableSlots);
        body.put("architecture", architecture);
        body.put("version", version);
        body.put("compute_plugins", computePlugins);
        body.put("running", running.stream().map(Running::toWire).toList());
        return body;
    }

    /**
     * The body with {@code reports} (wire shapes of {@link AgentReports.Report}); without the field when there are none,
     * so that a control plane before 0.2.0, which refuses the field, takes the heartbeat.
     */
    public Map<String, Object> toWire(List<Map<String, Object>> reports) {
        Map<String, Object> body = toWire();
        if (!reports.isEmpty()) {
            body.put(AgentReports.REPORTS, reports);
        }
        return body;
    }
}
