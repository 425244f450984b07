package dev.sluice.agent.protocol;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.protocol.AgentInterruption;
import dev.sluice.protocol.AgentReports;
import dev.sluice.protocol.SessionAssignment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The control plane's answer to a heartbeat, read: the agent as the control plane sees it, the interval it sets, the
 * work assigned here ({@link SessionAssignment}), the sessions to stop, one result per report carried, and the
 * interruption of this agent's instance when the control plane heard of one ({@link AgentInterruption}).
 */
public record HeartbeatAnswer(JsonNode agent, Optional<Duration> interval, List<SessionAssignment> assignments,
                              List<String> terminate, List<AgentReports.Result> results,
                              Optional<AgentInterruption.Notice> interruption) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() { };

    public HeartbeatAnswer {
        assignments = List.copyOf(assignments);
        terminate = List.copyOf(terminate);
        results = List.copyOf(results);
    }

    public static HeartbeatAnswer parse(JsonNode reply) {
        long seconds = reply.path("heartbeat_interval").asLong(0);
        List<SessionAssignment> assignments = new ArrayList<>();
        for (JsonNode a : reply.path(SessionAssignment.ASSIGNMENTS)) {
            assignments.add(SessionAssignment.fromWire(a.isObject() ? JSON.convertValue(a, MAP) : Map.of()));
        }
        List<String> terminate = new ArrayList<>();
        for (JsonNode t : reply.path("terminate")) {
            terminate.add(t.path("session_id").asText());
        }
        List<AgentReports.Result> results = new ArrayList<>();
        for (JsonNode r : reply.path(AgentReports.RESULTS)) {
            results.add(AgentReports.Result.fromWire(JSON.convertValue(r, MAP)));
        }
        Optional<AgentInterruption.Notice> interruption = reply.path(AgentInterruption.FIELD).isObject()
                ? AgentInterruption.Notice.fromWire(JSON.convertValue(reply.path(AgentInterruption.FIELD), MAP)) : Optional.empty();
        return new HeartbeatAnswer(reply.path("agent"), seconds > 0 ? Optional.of(Duration.ofSeconds(seconds)) : Optional.empty(),
                assignments, terminate, results, interruption);
    }
}
