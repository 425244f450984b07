package dev.sluice.core.scheduler;

import dev.sluice.core.request.RequestFields;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.agent.AgentStatus;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionSpec;
import dev.sluice.core.slots.ResourceSlots;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Small builders for planner tests. */
final class Fixtures {
    static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");

    private Fixtures() {
    }

    static ResourceSlots slots(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return ResourceSlots.parse(RequestFields.of(m).at("slots"));
    }

    /** An agent with the given capacity, plus 64 cpus and 1 TiB unless those are given. */
    static Agent agent(String id, ResourceSlots capacity) {
        return new Agent(id, "g", AgentStatus.ALIVE, true, withHost(capacity), ResourceSlots.EMPTY, "x86_64", "1", Map.of(), NOW, NOW);
    }

    static Agent agent(String id, ResourceSlots capacity, ResourceSlots occupied) {
        return new Agent(id, "g", AgentStatus.ALIVE, true, withHost(capacity), occupied, "x86_64", "1", Map.of(), NOW, NOW);
    }

    static Agent lost(String id, ResourceSlots capacity) {
        return new Agent(id, "g", AgentStatus.LOST, true, withHost(capacity), ResourceSlots.EMPTY, "x86_64", "1", Map.of(), NOW, NOW);
    }

    private static ResourceSlots withHost(ResourceSlots capacity) {
        Map<String, Object> m = new HashMap<>(capacity.toStrings());
        m.putIfAbsent("cpu", "64");
        m.putIfAbsent("mem", "1t");
        return ResourceSlots.parse(RequestFields.of(m).at("agent"));
    }

    /** A pending session created {@code ageSeconds} before NOW; {@code extra} adds request fields. */
    static Session session(String id, String owner, long ageSeconds, ResourceSlots request, Map<String, Object> extra) {
        Map<String, Object> body = new HashMap<>();
        body.put("image", "python:3.12");
        Map<String, Object> req = new HashMap<>(request.toStrings());
        req.putIfAbsent("cpu", "1");
        req.putIfAbsent("mem", "1");
        body.put("resource_slots", req);
        body.putAll(extra);
        Instant created = NOW.minusSeconds(ageSeconds);
        return Session.enqueue(id, owner, SessionSpec.parse(RequestFields.of(body), created), "g", created);
    }

    static Session session(String id, long ageSeconds, ResourceSlots request) {
        return session(id, "owner", ageSeconds, request, Map.of());
    }

    static ResourceGroup group(String scheduler, Map<String, Object> options) {
        return ResourceGroup.fromDefinition("g", RequestFields.of(Map.of("scheduler", scheduler, "scheduler_options", options)), NOW, NOW);
    }

    /** Pending sessions in queue order (priority desc, then oldest first), as the store returns them. */
    static List<Session> queue(List<Session> sessions) {
        return sessions.stream().sorted((a, b) -> {
            int p = Integer.compare(b.spec().priority(), a.spec().priority());
            return p != 0 ? p : a.createdAt().compareTo(b.createdAt());
        }).toList();
    }

    static SchedulingSnapshot snapshot(ResourceGroup group, List<Session> pending, List<Agent> agents) {
        return new SchedulingSnapshot(group, queue(pending), agents, Map.of(), Usage.NONE, Usage.NONE, Map.of(),
                ResourcePolicy.UNLIMITED, ResourcePolicy.UNLIMITED, Map.of(), Optional.empty(), NOW);
    }
}
