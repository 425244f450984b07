package dev.sluice.core.usecase;

import dev.sluice.core.request.RequestFields;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.agent.AgentStatus;
import dev.sluice.core.agent.CreationConfig;
import dev.sluice.core.agent.Heartbeat;
import dev.sluice.core.agent.KernelReport;
import dev.sluice.core.agent.KernelReports;
import dev.sluice.core.agent.Liveness;
import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import dev.sluice.core.port.AgentStore;
import dev.sluice.core.port.EventPublisher;
import dev.sluice.core.port.ResourceGroupStore;
import dev.sluice.core.port.SessionLogs;
import dev.sluice.core.port.SessionStore;
import dev.sluice.core.port.SessionStore.SaveOutcome;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionChange;
import dev.sluice.core.session.SessionId;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.session.SessionStatusChanged;
import dev.sluice.core.session.StatusData;
import dev.sluice.protocol.AgentReports;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The agents' side of the control plane (REFERENCE §5, ARCHITECTURE rule 4): heartbeats that register, revive and
 * hand out work; reports of each step of a session; the sweep that resolves lost agents; drain.
 */
public final class AgentWorkService {
    /** Statuses in which a session should be running (or starting) on its agent. */
    static final Set<SessionStatus> TO_RUN = SessionStatus.TO_RUN;
    private static final Pattern AGENT_ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    public static final int MAX_LOG_BYTES = 64 * 1024;

    private final AgentStore agents;
    private final ResourceGroupStore groups;
    /** Groups seen to exist, and when: an agent heartbeats every few seconds, its group is read once a minute at most. */
    private final Map<String, Instant> knownGroups = new java.util.concurrent.ConcurrentHashMap<>();
    private static final Duration KNOWN_GROUP_FOR = Duration.ofMinutes(1);
    private final SessionStore sessions;
    private final SessionLogs logs;
    private final EventPublisher events;
    private final Clock clock;
    private final Duration heartbeatInterval;
    private final Duration heartbeatTimeout;

    public AgentWorkService(AgentStore agents, SessionStore sessions, ResourceGroupStore groups, SessionLogs logs,
                            EventPublisher events, Clock clock, Duration heartbeatInterval, Duration heartbeatTimeout) {
        this.agents = agents;
        this.groups = groups;
        this.sessions = sessions;
        this.logs = logs;
        this.events = events;
        this.clock = clock;
        this.heartbeatInterval = heartbeatInterval;
        this.heartbeatTimeout = heartbeatTimeout;
    }

    /** What an agent is told in answer to a heartbeat. */
    public record HeartbeatReply(Agent agent, List<CreationConfig> assignments, List<Stop> terminate, Duration interval,
                                 List<AgentReports.Result> reportResults) {
    }

    /** A session the agent must stop, and why. */
    public record Stop(String sessionId, String reason) {
    }

    /**
     * Records the heartbeat, applies the step reports it carries ({@link AgentReports}) each through the same path as
     * {@link #report} and answers one result per report (a refused report fails only itself), then hands out work as
     * it stands after them. A heartbeat refused as a whole (its group does not exist) applies no report.
     */
    public HeartbeatReply heartbeat(String agentId, RequestFields body) {
        Map<String, Object> fields = new LinkedHashMap<>(body.raw());
        List<Object> reports;
        try {
            reports = AgentReports.reportsOf(fields);
        } catch (AgentReports.Malformed m) {
            throw DomainException.invalidBecause(m.field(), m.getMessage());
        }
        fields.remove(AgentReports.REPORTS);
        Heartbeat hb = Heartbeat.parse(agentId, RequestFields.of(fields));
        Instant now = clock.instant();
        requireGroup(hb.resourceGroup(), now);
        AgentStore.HeartbeatRecorded recorded = agents.recordHeartbeat(hb, now);
        List<AgentReports.Result> results = applyReports(agentId, reports);
        Optional<Agent> before = recorded.before();
        Agent after = recorded.after();
        if (before.isEmpty()) {
            events.publishAgentChanged(agentId, after.resourceGroup(), "registered", now);
        } else if (before.get().status() != AgentStatus.ALIVE) {
            events.publishAgentChanged(agentId, after.resourceGroup(), "revived", now);
        } else if (!before.get().availableSlots().equals(after.availableSlots())
                || !before.get().resourceGroup().equals(after.resourceGroup())) {
            events.publishAgentChanged(agentId, after.resourceGroup(), "capacity-changed", now);
        }
        List<CreationConfig> assignments = new ArrayList<>();
        List<Stop> terminate = new ArrayList<>();
        Set<String> known = new LinkedHashSet<>();
        for (Session s : sessions.onAgent(agentId)) {
            known.add(s.id());
            if (TO_RUN.contains(s.status())) {
                assignments.addAll(CreationConfig.forAgent(s, agentId));
            } else if (s.status() == SessionStatus.TERMINATING) {
                terminate.add(new Stop(s.id(), s.statusInfo()));
            } else if (s.status() == SessionStatus.ERROR) {
                // Resolved without it (agent lost, failed to start): whatever still runs of it must stop.
                terminate.add(new Stop(s.id(), s.statusInfo()));
            }
        }
        // What the agent runs that the control plane no longer hosts there (ended, force-destroyed, never its own).
        for (Heartbeat.RunningSession r : hb.running()) {
            if (!known.contains(r.sessionId())) {
                terminate.add(new Stop(r.sessionId(), "not-assigned"));
            }
        }
        return new HeartbeatReply(after, assignments, terminate, heartbeatInterval, results);
    }

    /**
     * Each report in order, each on its own: its result says whether it was written, already so, refused (with the
     * session's status), not a session of this agent, malformed, or to be sent again. The reports of one session
     * follow each other, so the session one report leaves is where the next starts (no second read).
     */
    List<AgentReports.Result> applyReports(String agentId, List<Object> reports) {
        List<AgentReports.Result> results = new ArrayList<>();
        Map<String, Session> known = new java.util.HashMap<>();
        java.util.Set<String> retrying = new java.util.HashSet<>();
        for (Object raw : reports) {
            AgentReports.Report r;
            try {
                r = AgentReports.Report.fromWire(raw);
            } catch (AgentReports.Malformed m) {
                Object id = raw instanceof Map<?, ?> map ? map.get(AgentReports.SESSION_ID) : null;
                Object seq = raw instanceof Map<?, ?> map ? map.get(AgentReports.SEQ) : null;
                results.add(new AgentReports.Result(id == null ? "" : String.valueOf(id), seq instanceof Number n ? n.longValue() : 0,
                        AgentReports.Outcome.INVALID, Optional.empty(), Optional.of(m.getMessage())));
                continue;
            }
            if (retrying.contains(r.sessionId())) {
                // An earlier step of this session waits to be sent again: a later one applied now would skip it
                // (RUNNING lost behind a TERMINATED), so the later steps wait with it, in order.
                results.add(new AgentReports.Result(r.sessionId(), r.seq(), AgentReports.Outcome.RETRY, Optional.empty(),
                        Optional.of("An earlier report of this session is to be sent again first; send this one after it.")));
                continue;
            }
            AgentReports.Outcome outcome;
            Optional<String> status = Optional.empty();
            Optional<String> message = Optional.empty();
            try {
                Applied a = apply(agentId, r.sessionId(), KernelReport.parse(RequestFields.of(r.step())), r.logs(), Optional.ofNullable(known.get(r.sessionId())));
                known.put(r.sessionId(), a.session());
                outcome = a.written() ? AgentReports.Outcome.APPLIED : AgentReports.Outcome.UNCHANGED;
                status = Optional.of(a.session().status().name());
            } catch (RefusedReport refused) {
                known.remove(r.sessionId());
                outcome = AgentReports.Outcome.REFUSED;
                status = Optional.of(refused.current.name());
                message = Optional.of(refused.getMessage());
            } catch (DomainException e) {
                known.remove(r.sessionId());
                message = Optional.of(e.getMessage());
                outcome = switch (e.code()) {
                    case NOT_FOUND -> AgentReports.Outcome.NOT_FOUND;
                    case INVALID_FIELD, MALFORMED_REQUEST, PAYLOAD_TOO_LARGE -> AgentReports.Outcome.INVALID;
                    default -> AgentReports.Outcome.RETRY;
                };
            } catch (RuntimeException e) {
                // A store or bus error: this report is not applied (or not known to be); the agent sends it again,
                // and a report applied already is then answered unchanged.
                known.remove(r.sessionId());
                outcome = AgentReports.Outcome.RETRY;
                message = Optional.of("The report could not be applied this time (" + e.getClass().getSimpleName() + "); send it again.");
            }
            if (outcome == AgentReports.Outcome.RETRY) {
                retrying.add(r.sessionId());
            }
            results.add(new AgentReports.Result(r.sessionId(), r.seq(), outcome, status, message));
        }
        return results;
    }

    /** An agent joins only a group that exists: it would otherwise be ALIVE where no session is ever scheduled. */
    private void requireGroup(String group, Instant now) {
        Instant seen = knownGroups.get(group);
        if (seen != null && seen.plus(KNOWN_GROUP_FOR).isAfter(now)) {
            return;
        }
        if (groups.find(group).isEmpty()) {
            knownGroups.remove(group);
            throw DomainException.invalidBecause("resource_group", "resource_group '" + group + "' does not exist. An admin "
                    + "creates it (PUT /resource-groups/" + group + ") before agents can join it.");
        }
        knownGroups.put(group, now);
    }

    /**
     * Applies one step an agent reports for a session it hosts. Retried reports change nothing; a report the map
     * forbids is a conflict naming the session's status. Sessions on other agents are not found.
     */
    public Session report(String agentId, String sessionId, KernelReport report) {
        try {
            return apply(agentId, sessionId, report, Optional.empty(), Optional.empty()).session();
        } catch (RefusedReport r) {
            throw r.asConflict();
        }
    }

    /** The session after a report, and whether the report wrote it. */
    private record Applied(Session session, boolean written) {
    }

    /** A report the transition map forbids; to the status endpoint a 409 on the status field, naming the session's status. */
    private static final class RefusedReport extends RuntimeException {
        private final SessionStatus current;

        RefusedReport(SessionStatus reported, SessionStatus current) {
            super("status " + reported + " cannot follow the session's current status, " + current + "; follow the control plane.",
                    null, false, false);
            this.current = current;
        }

        DomainException asConflict() {
            return new DomainException(ErrorCode.CONFLICT, "status", getMessage());
        }
    }

    /**
     * The one path of a report, from the status endpoint or a heartbeat: read the session (unless {@code known}, what
     * the previous report of the same heartbeat left), decide, write conditionally, publish. With {@code output} (the
     * end's last output, from a heartbeat) the output is stored before the end is written, as the agent's separate
     * upload did.
     */
    private Applied apply(String agentId, String sessionId, KernelReport report, Optional<String> output, Optional<Session> known) {
        boolean logsStored = false;
        for (int attempt = 0; attempt < 5; attempt++) {
            Session current = attempt == 0 && known.isPresent() ? known.get() : hosted(agentId, sessionId);
            KernelReports.Decision decision = KernelReports.decide(current, agentId, kernelIndex(current, agentId), report,
                    clock.instant());
            if (decision instanceof KernelReports.Decision.Refused r) {
                throw new RefusedReport(report.status(), r.current());
            }
            if (output.isPresent() && !logsStored) {
                logs.put(sessionId, tail(output.get()));
                logsStored = true;
            }
            if (decision instanceof KernelReports.Decision.Unchanged u) {
                return new Applied(u.session(), false);
            }
            if (decision instanceof KernelReports.Decision.Facts f) {
                // Progress while the workload starts: one conditional write, no event (the next status change carries it).
                SaveOutcome saved = sessions.apply(SessionChange.runtimeFacts(current, f.next().runtime()));
                if (saved instanceof SaveOutcome.Saved s) {
                    return new Applied(s.session(), true);
                }
                continue;
            }
            KernelReports.Decision.Apply apply = (KernelReports.Decision.Apply) decision;
            SaveOutcome saved = sessions.apply(apply.releaseSlots()
                    ? SessionChange.release(apply.next(), current.status(), current.sequence())
                    : SessionChange.update(apply.next(), current.status(), current.sequence()));
            if (saved instanceof SaveOutcome.Saved s) {
                events.publish(SessionStatusChanged.of(Optional.of(current.status()), s.session(), clock.instant()));
                return new Applied(s.session(), true);
            }
        }
        throw new DomainException(ErrorCode.CONFLICT, null, "The session kept changing while the report was applied; retry.");
    }

    /** At most the last {@link #MAX_LOG_BYTES} bytes of {@code text}, cut at a character (the agent sends no more than that). */
    static String tail(String text) {
        byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (bytes.length <= MAX_LOG_BYTES) {
            return text;
        }
        int from = bytes.length - MAX_LOG_BYTES;
        while (from < bytes.length && (bytes[from] & 0xC0) == 0x80) {
            from++;
        }
        return new String(bytes, from, bytes.length - from, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Keeps the last lines of a session's output (at most 64 KiB: the tail is kept). */
    public void putLogs(String agentId, String sessionId, String text) {
        hosted(agentId, sessionId);
        byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (bytes.length > MAX_LOG_BYTES) {
            throw new DomainException(ErrorCode.PAYLOAD_TOO_LARGE, "text", "text must be at most 64 KiB; send only the last 64 KiB of output.");
        }
        logs.put(sessionId, text);
    }

    /** The last lines of a session's output, for its owner or an admin. */
    public Optional<String> logs(Session visible) {
        return logs.get(visible.id());
    }

    private static int kernelIndex(Session s, String agentId) {
        for (int i = 0; i < s.kernels().size(); i++) {
            if (s.kernels().get(i).agentId().equals(agentId)) {
                return i;
            }
        }
        return -1;
    }

    private Session hosted(String agentId, String sessionId) {
        if (!SessionId.isWellFormed(sessionId)) {
            throw DomainException.notFound("session '" + sessionId + "' on this agent");
        }
        return sessions.find(sessionId)
                .filter(s -> s.kernels().stream().anyMatch(k -> k.agentId().equals(agentId)))
                .orElseThrow(() -> DomainException.notFound("session '" + sessionId + "' on this agent"));
    }

    /** What one sweep did. */
    public record Sweep(List<String> lost, List<String> resolvedSessions) {
    }

    /**
     * Marks agents without a heartbeat for the timeout LOST, and resolves the sessions of every LOST agent: each
     * becomes ERROR {@code agent-lost} and its slots go back (Backend.AI does neither). Safe to run concurrently and
     * to re-run after a crash: each step is conditional, and a session already resolved is left alone.
     */
    public Sweep sweepLostAgents() {
        Instant now = clock.instant();
        List<String> lost = new ArrayList<>();
        List<String> resolved = new ArrayList<>();
        for (Agent a : agents.all()) {
            boolean isLost = a.status() == AgentStatus.LOST;
            if (Liveness.isOverdue(a, now, heartbeatTimeout) && agents.markLost(a.id(), a.lastHeartbeat())) {
                lost.add(a.id());
                events.publishAgentChanged(a.id(), a.resourceGroup(), "lost", now);
                isLost = true;
            }
            // A LOST agent's sessions are resolved until nothing is reserved on it any more (then it costs no query).
            // Each release is conditional on the agent still being LOST as seen here, so an agent that revives
            // meanwhile keeps its sessions.
            if (isLost && !a.occupiedSlots().isEmpty()) {
                resolved.addAll(resolveSessionsOf(a, now));
            }
        }
        return new Sweep(lost, resolved);
    }

    private List<String> resolveSessionsOf(Agent agent, Instant now) {
        List<String> resolved = new ArrayList<>();
        for (Session s : sessions.onAgent(agent.id())) {
            for (int attempt = 0; attempt < 5; attempt++) {
                if (!s.status().occupiesSlots() || s.unreleasedKernels().isEmpty()) {
                    break;
                }
                StatusData data = StatusData.agentLost(agent.id(), String.valueOf(agent.lastHeartbeat()),
                        "agent " + agent.id() + " sent no heartbeat for " + heartbeatTimeout.toSeconds() + " s");
                Session next = s.status() == SessionStatus.ERROR
                        ? s.withStatusData(s.statusInfo(), s.statusData())
                        : s.transitionTo(SessionStatus.ERROR, "agent-lost", data, now);
                SaveOutcome saved = sessions.apply(SessionChange.resolveLost(next, s.status(), s.sequence(), agent.id(), agent.lastHeartbeat()));
                if (saved instanceof SaveOutcome.Saved done) {
                    if (s.status() != SessionStatus.ERROR) {
                        events.publish(SessionStatusChanged.of(Optional.of(s.status()), done.session(), now));
                    }
                    resolved.add(s.id());
                    break;
                }
                Optional<Session> current = ((SaveOutcome.Conflict) saved).current();
                Optional<Agent> now2 = agents.find(agent.id());
                if (current.isEmpty() || now2.isEmpty() || now2.get().status() != AgentStatus.LOST
                        || !java.util.Objects.equals(now2.get().lastHeartbeat(), agent.lastHeartbeat())) {
                    break; // the session is gone, or the agent revived: nothing to resolve
                }
                s = current.get();
            }
        }
        return resolved;
    }

    /** Admins drain an agent (no new sessions; running ones go on) or make it schedulable again. */
    public Agent setSchedulable(Principal caller, String agentId, RequestFields f) {
        ResourceGroupService.requireAdmin(caller);
        if (!AGENT_ID.matcher(agentId).matches()) {
            throw DomainException.notFound("agent '" + agentId + "'");
        }
        f.refuseUnknown(Set.of("schedulable"));
        boolean schedulable = f.optionalBoolean("schedulable")
                .orElseThrow(() -> DomainException.invalid("schedulable", "is required (true or false)"));
        Agent updated = agents.setSchedulable(agentId, schedulable)
                .orElseThrow(() -> DomainException.notFound("agent '" + agentId + "'"));
        events.publishAgentChanged(agentId, updated.resourceGroup(), schedulable ? "schedulable" : "drained", clock.instant());
        return updated;
    }
}
