package dev.sluice.core.usecase;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.agent.Heartbeat;
import dev.sluice.core.fleet.LaunchRecord;
import dev.sluice.core.port.AgentStore;
import dev.sluice.core.port.FleetDriver;
import dev.sluice.core.port.FleetStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Stand-ins for the fleet's ports in pure tests: in memory, with the same once-only conditions as the real store. */
final class FleetTestDoubles {
    private FleetTestDoubles() {
    }

    /** A clock the test moves. */
    static final class MovableClock extends Clock {
        Instant now;

        MovableClock(Instant now) {
            this.now = now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    static class MemFleetStore implements FleetStore {
        final Map<String, LaunchRecord> records = new LinkedHashMap<>();
        final Map<String, List<Duration>> boots = new LinkedHashMap<>();
        int idleWrites;

        @Override
        public synchronized boolean recordLaunch(LaunchRecord r) {
            return records.putIfAbsent(r.instanceId(), r) == null;
        }

        @Override
        public synchronized Optional<LaunchRecord> find(String id) {
            return Optional.ofNullable(records.get(id));
        }

        @Override
        public synchronized List<LaunchRecord> live(String group) {
            return records.values().stream().filter(r -> r.group().equals(group) && r.terminatedAt().isEmpty()).toList();
        }

        private static LaunchRecord with(LaunchRecord r, Optional<Instant> joined, Optional<Instant> idle, Optional<Instant> draining,
                                         Optional<Instant> terminated, Optional<String> reason) {
            return new LaunchRecord(r.instanceId(), r.group(), r.instanceType(), r.option(), r.zone(), r.subnetId(), r.hourlyMicroUsd(),
                    r.requestedAt(), r.sessionIds(), joined, idle, draining, terminated, reason);
        }

        @Override
        public synchronized boolean markJoined(String id, Instant at) {
            LaunchRecord r = records.get(id);
            if (r == null || r.joinedAt().isPresent() || r.terminatedAt().isPresent()) {
                return false;
            }
            records.put(id, with(r, Optional.of(at), r.idleSince(), r.drainingSince(), r.terminatedAt(), r.endReason()));
            return true;
        }

        @Override
        public synchronized boolean setIdleSince(String id, Optional<Instant> expected, Optional<Instant> idleSince) {
            LaunchRecord r = records.get(id);
            if (r == null || !r.idleSince().equals(expected) || r.terminatedAt().isPresent()) {
                return false;
            }
            idleWrites++;
            records.put(id, with(r, r.joinedAt(), idleSince, r.drainingSince(), r.terminatedAt(), r.endReason()));
            return true;
        }

        @Override
        public synchronized boolean markDraining(String id, Instant at) {
            LaunchRecord r = records.get(id);
            if (r == null || r.drainingSince().isPresent() || r.terminatedAt().isPresent()) {
                return false;
            }
            records.put(id, with(r, r.joinedAt(), r.idleSince(), Optional.of(at), r.terminatedAt(), r.endReason()));
            return true;
        }

        @Override
        public synchronized boolean markTerminated(String id, Instant at, String reason) {
            LaunchRecord r = records.get(id);
            if (r == null || r.terminatedAt().isPresent()) {
                return false;
            }
            records.put(id, with(r, r.joinedAt(), r.idleSince(), r.drainingSince(), Optional.of(at), Optional.of(reason)));
            return true;
        }

        @Override
        public synchronized void recordBootTime(String type, Duration d, Instant at) {
            List<Duration> window = boots.computeIfAbsent(type, t -> new ArrayList<>());
            window.add(d);
            while (window.size() > 20) {
                window.remove(0);
            }
        }

        @Override
        public synchronized List<Duration> bootTimes(String type) {
            return List.copyOf(boots.getOrDefault(type, List.of()));
        }
    }

    /** Agents in memory; the drain is the port's default (read, then write). */
    static final class MemAgentStore implements AgentStore {
        final Map<String, Agent> agents = new LinkedHashMap<>();

        @Override
        public Optional<Agent> find(String id) {
            return Optional.ofNullable(agents.get(id));
        }

        @Override
        public List<Agent> inGroup(String group) {
            return agents.values().stream().filter(a -> a.resourceGroup().equals(group)).toList();
        }

        @Override
        public List<Agent> all() {
            return List.copyOf(agents.values());
        }

        @Override
        public void put(Agent agent) {
            agents.put(agent.id(), agent);
        }

        @Override
        public HeartbeatRecorded recordHeartbeat(Heartbeat heartbeat, Instant at) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean markLost(String id, Instant lastSeen) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<Interrupted> interrupt(String id, dev.sluice.core.agent.Interruption interruption) {
            Agent a = agents.get(id);
            if (a == null) {
                return Optional.empty();
            }
            if (a.interruption().flatMap(dev.sluice.core.agent.Interruption::deadline).isPresent()
                    || (a.interruption().isPresent() && interruption.deadline().isEmpty())) {
                return Optional.of(new Interrupted(a, false));
            }
            Agent b = new Agent(a.id(), a.resourceGroup(), a.status(), false, a.availableSlots(), a.occupiedSlots(), a.architecture(),
                    a.version(), a.computePlugins(), a.firstContact(), a.lastHeartbeat(), Optional.of(interruption));
            agents.put(id, b);
            return Optional.of(new Interrupted(b, true));
        }

        @Override
        public Optional<Agent> setSchedulable(String id, boolean schedulable) {
            Agent a = agents.get(id);
            if (a == null) {
                return Optional.empty();
            }
            Agent b = new Agent(a.id(), a.resourceGroup(), a.status(), schedulable, a.availableSlots(), a.occupiedSlots(), a.architecture(),
                    a.version(), a.computePlugins(), a.firstContact(), a.lastHeartbeat());
            agents.put(id, b);
            return Optional.of(b);
        }
    }

    /**
     * A driver that tries the candidates in order like the real one: a candidate whose {@code type/option/zone} is in
     * {@code failing} fails with InsufficientInstanceCapacity; the first other one gives instance {@code i-<n>}.
     */
    static class RecordingDriver implements FleetDriver {
        final List<LaunchRequest> requests = new ArrayList<>();
        final List<String> terminated = new ArrayList<>();
        final Set<String> failing = new java.util.HashSet<>();
        private int next = 1;

        @Override
        public LaunchOutcome launch(LaunchRequest request) {
            requests.add(request);
            List<Attempt> attempts = new ArrayList<>();
            for (Candidate c : request.candidates()) {
                String key = c.instanceType() + "/" + c.option().wireName() + "/" + c.zone();
                if (failing.contains(key)) {
                    attempts.add(new Attempt(c, Optional.of("InsufficientInstanceCapacity"), "no capacity", Instant.EPOCH));
                    continue;
                }
                attempts.add(new Attempt(c, Optional.empty(), "launched", Instant.EPOCH));
                return new LaunchOutcome(Optional.of("i-" + next++), Optional.of(c), attempts);
            }
            return new LaunchOutcome(Optional.empty(), Optional.empty(), attempts);
        }

        @Override
        public void terminate(List<String> ids) {
            terminated.addAll(ids);
        }

        @Override
        public List<FleetInstance> instances(String group) {
            return List.of();
        }
    }
}
