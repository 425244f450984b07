package dev.sluice.core.usecase;

import dev.sluice.core.request.RequestFields;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.agent.AgentStatus;
import dev.sluice.core.agent.CreationConfig;
import dev.sluice.core.agent.Heartbeat;
import dev.sluice.core.agent.Interruption;
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

    /** Where the fleet's launches are kept (issue 17), when the function has one: an agent joining marks its launch. */
    private final Optional<dev.sluice.core.port.FleetStore> fleet;

    public AgentWorkService(AgentStore agents, SessionStore sessions, ResourceGroupStore groups, SessionLogs logs,
                            EventPublisher events, Clock clock, Duration heartbeatInterval, Duration heartbeatTimeout) {
        this(agents, sessions, groups, logs, events, clock, heartbeatInterval, heartbeatTimeout, Optional.empty());
    }

    public AgentWorkService(AgentStore agents, SessionStore sessions, ResourceGroupStore groups, SessionLogs logs,
                            EventPublisher events, Clock clock, Duration heartbeatInterval, Duration heartbeatTimeout,
                            Optional<dev.sluice.core.port.FleetStore> fleet) {
        this.fleet = fleet;
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
        /** The interruption the agent is told of ({@link dev.sluice.protocol.AgentInterruption}): a warning's deadline. */
        public Optional<dev.sluice.protocol.AgentInterruption.Notice> interruption() {
            return agent.interruption().flatMap(dev.sluice.core.agent.Interruption::notice);
        }
    }

    /**
     * The heartbeat interval answered to an agent whose instance is going away (an interruption recorded): short, so
     * that it hears a warning that follows a rebalance recommendation, and its sessions' ends arrive, within seconds.
     */
    public static final Duration INTERRUPTED_INTERVAL = Duration.ofSeconds(2);

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
        // The agent heard of its instance's interruption itself (the metadata service): recorded as EventBridge's warning is.
        Object heard = fields.remove(dev.sluice.protocol.AgentInterruption.FIELD);
        Optional<dev.sluice.protocol.AgentInterruption.Notice> notice = heard == null ? Optional.empty()
                : dev.sluice.protocol.AgentInterruption.Notice.fromWire(heard);
        if (heard != null && notice.isEmpty()) {
            throw DomainException.invalidBecause(dev.sluice.protocol.AgentInterruption.FIELD,
                    "The interruption must be an object with deadline (an ISO-8601 instant) and source.");
        }
        Heartbeat hb = Heartbeat.parse(agentId, RequestFields.of(fields));
        Instant now = clock.instant();
        requireGroup(hb.resourceGroup(), now);
        AgentStore.HeartbeatRecorded recorded = agents.recordHeartbeat(hb, now);
        List<AgentReports.Result> results = applyReports(agentId, reports);
        Optional<Agent> before = recorded.before();
        Agent after = recorded.after();
        if (notice.isPresent() && after.interruption().flatMap(Interruption::deadline).isEmpty()) {
            Interruption i = new Interruption(notice.get().source(), Optional.of(notice.get().deadline()), now);
            Optional<AgentStore.Interrupted> done = agents.interrupt(agentId, i);
            if (done.isPresent()) {
                after = done.get().agent();
                if (done.get().changed()) {
                    events.publishAgentChanged(agentId, after.resourceGroup(), "interrupted", now);
                }
            }
        }
        if (before.isEmpty()) {
            // Its first contact: if the fleet launched it (agent id = instance id), the launch is joined and its boot
            // time recorded (one read here, at registration only, never on the heartbeats that follow).
            // A failure here never fails the heartbeat: the fleet's next pass joins a registered agent's launch itself.
            fleet.ifPresent(f -> {
                try {
                    FleetService.agentJoined(f, agentId, now);
                } catch (RuntimeException joinLater) {
                    // the launch stays "launching" until that pass (FleetService.react, at the agent's first contact)
                }
            });
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
        // Short only while a deadline runs (a warning); a rebalance recommendation has none and may last for hours.
        Duration interval = after.interruption().flatMap(dev.sluice.core.agent.Interruption::deadline).isPresent()
                && heartbeatInterval.compareTo(INTERRUPTED_INTERVAL) > 0
                ? INTERRUPTED_INTERVAL : heartbeatInterval;
        return new HeartbeatReply(after, assignments, terminate, interval, results);
    }

    /**
     * Each report in order: its result says whether it was written, already so, refused (with the session's status),
     * not a session of this agent, malformed, or to be sent again. Consecutive reports of one session (PREPARING,
     * RUNNING, TERMINATED with the output) are decided one after the other from where the previous one left the
     * session and written together, as one conditional write ({@link #applySteps}); each written step's event is then
     * published, in order. The session a write leaves is where the next reports of that session start (no second read).
     */
    List<AgentReports.Result> applyReports(String agentId, List<Object> reports) {
        List<AgentReports.Result> results = new ArrayList<>();
        Map<String, Session> known = new java.util.HashMap<>();
        java.util.Set<String> retrying = new java.util.HashSet<>();
        List<Step> run = new ArrayList<>();
        for (Object raw : reports) {
            AgentReports.Report r;
            try {
                r = AgentReports.Report.fromWire(raw);
            } catch (AgentReports.Malformed m) {
                flush(agentId, run, known, retrying, results);
                Object id = raw instanceof Map<?, ?> map ? map.get(AgentReports.SESSION_ID) : null;
                Object seq = raw instanceof Map<?, ?> map ? map.get(AgentReports.SEQ) : null;
                results.add(new AgentReports.Result(id == null ? "" : String.valueOf(id), seq instanceof Number n ? n.longValue() : 0,
                        AgentReports.Outcome.INVALID, Optional.empty(), Optional.of(m.getMessage())));
                continue;
            }
            if (!run.isEmpty() && !run.get(0).sessionId().equals(r.sessionId())) {
                flush(agentId, run, known, retrying, results);
            }
            if (retrying.contains(r.sessionId())) {
                // An earlier step of this session waits to be sent again: a later one applied now would skip it
                // (RUNNING lost behind a TERMINATED), so the later steps wait with it, in order.
                results.add(new AgentReports.Result(r.sessionId(), r.seq(), AgentReports.Outcome.RETRY, Optional.empty(),
                        Optional.of(WAITS_BEHIND)));
                continue;
            }
            KernelReport step;
            try {
                step = KernelReport.parse(RequestFields.of(r.step()));
            } catch (DomainException e) {
                flush(agentId, run, known, retrying, results);
                known.remove(r.sessionId());
                results.add(new AgentReports.Result(r.sessionId(), r.seq(), outcomeOf(e), Optional.empty(), Optional.of(e.getMessage())));
                if (outcomeOf(e) == AgentReports.Outcome.RETRY) {
                    retrying.add(r.sessionId());
                }
                continue;
            }
            run.add(new Step(r.sessionId(), r.seq(), step, r.logs()));
        }
        flush(agentId, run, known, retrying, results);
        return results;
    }

    private static final String WAITS_BEHIND = "An earlier report of this session is to be sent again first; send this one after it.";

    /** One parsed report of a heartbeat. */
    private record Step(String sessionId, long seq, KernelReport report, Optional<String> logs) {
    }

    /** What became of one step: its outcome, the session after it (when known) and why. */
    private record StepOutcome(AgentReports.Outcome outcome, Optional<Session> session, Optional<String> status, Optional<String> message) {
        static StepOutcome of(AgentReports.Outcome outcome, Session s) {
            return new StepOutcome(outcome, Optional.of(s), Optional.of(s.status().name()), Optional.empty());
        }
    }

    /** Applies the collected run of one session's consecutive reports (as few writes as the steps allow) and answers each. */
    private void flush(String agentId, List<Step> run, Map<String, Session> known, Set<String> retrying, List<AgentReports.Result> results) {
        if (run.isEmpty()) {
            return;
        }
        String sessionId = run.get(0).sessionId();
        int from = 0;
        Optional<Session> start = Optional.ofNullable(known.get(sessionId));
        while (from < run.size()) {
            List<Step> rest = run.subList(from, run.size());
            List<StepOutcome> outcomes;
            try {
                outcomes = applySteps(agentId, sessionId, rest, start);
            } catch (DomainException e) {
                outcomes = failed(rest, outcomeOf(e), e.getMessage());
            } catch (RuntimeException e) {
                // A store or bus error: these reports are not applied (or not known to be); the agent sends them again,
                // and a report applied already is then answered unchanged.
                outcomes = failed(rest, AgentReports.Outcome.RETRY,
                        "The report could not be applied this time (" + e.getClass().getSimpleName() + "); send it again.");
            }
            for (int i = 0; i < outcomes.size(); i++) {
                Step step = rest.get(i);
                StepOutcome o = outcomes.get(i);
                results.add(new AgentReports.Result(step.sessionId(), step.seq(), o.outcome(), o.status(), o.message()));
            }
            from += outcomes.size();
            StepOutcome last = outcomes.get(outcomes.size() - 1);
            if (last.session().isPresent()) {
                known.put(sessionId, last.session().get());
                start = last.session();
            } else {
                known.remove(sessionId);
                start = Optional.empty();
            }
            if (last.outcome() == AgentReports.Outcome.RETRY) {
                retrying.add(sessionId);
            }
        }
        run.clear();
    }

    /** Every step of {@code rest} failed the same way; after a first one to be sent again, the others wait behind it. */
    private static List<StepOutcome> failed(List<Step> rest, AgentReports.Outcome outcome, String message) {
        List<StepOutcome> out = new ArrayList<>();
        for (int i = 0; i < rest.size(); i++) {
            out.add(new StepOutcome(outcome, Optional.empty(), Optional.empty(),
                    Optional.of(i > 0 && outcome == AgentReports.Outcome.RETRY ? WAITS_BEHIND : message)));
        }
        return out;
    }

    private static AgentReports.Outcome outcomeOf(DomainException e) {
        return switch (e.code()) {
            case NOT_FOUND -> AgentReports.Outcome.NOT_FOUND;
            case INVALID_FIELD, MALFORMED_REQUEST, PAYLOAD_TOO_LARGE -> AgentReports.Outcome.INVALID;
            default -> AgentReports.Outcome.RETRY;
        };
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
        StepOutcome o = applySteps(agentId, sessionId, List.of(new Step(sessionId, 0, report, Optional.empty())), Optional.empty()).get(0);
        if (o.outcome() == AgentReports.Outcome.REFUSED) {
            throw new DomainException(ErrorCode.CONFLICT, "status", o.message().orElseThrow());
        }
        return o.session().orElseThrow();
    }

    private static String refusal(SessionStatus reported, SessionStatus current) {
        return "status " + reported + " cannot follow the session's current status, " + current + "; follow the control plane.";
    }

    /**
     * The one path of reports, from the status endpoint or a heartbeat: read the session (unless {@code known}, what
     * the previous write of the same heartbeat left), decide each step from where the one before left the session
     * (already so: unchanged; forbidden by the map: refused, the session as it was), and write the steps that change
     * it as one conditional change, up to and including the first that gives slots back; then publish each written
     * step's event in order. Answers the steps it took (a prefix of {@code steps}: those after a releasing step are
     * for the next call). A lost race decides every step again from the stored session.
     *
     * <p>With an end's last output (from a heartbeat): kept with the write when small and the end is written in it,
     * else put to the logs bucket before the write, as the agent's separate upload did.
     */
    private List<StepOutcome> applySteps(String agentId, String sessionId, List<Step> steps, Optional<Session> known) {
        boolean logsStored = false;
        for (int attempt = 0; attempt < 5; attempt++) {
            Session current = attempt == 0 && known.isPresent() ? known.get() : hosted(agentId, sessionId);
            Instant now = clock.instant();
            Session s = current;
            List<StepOutcome> outcomes = new ArrayList<>();
            List<Session> written = new ArrayList<>();
            List<SessionStatus> before = new ArrayList<>();
            boolean releaseAtEnd = false;
            Optional<String> output = Optional.empty();
            boolean outputWritten = false;
            boolean factsAlone = false;
            for (Step step : steps) {
                KernelReports.Decision decision = KernelReports.decide(s, agentId, kernelIndex(s, agentId), step.report(), now);
                if (decision instanceof KernelReports.Decision.Refused r) {
                    outcomes.add(new StepOutcome(AgentReports.Outcome.REFUSED, Optional.of(s), Optional.of(r.current().name()),
                            Optional.of(refusal(step.report().status(), r.current()))));
                    continue;
                }
                if (step.logs().isPresent()) {
                    output = step.logs().map(AgentWorkService::tail);
                    outputWritten = decision instanceof KernelReports.Decision.Apply;
                }
                if (decision instanceof KernelReports.Decision.Unchanged u) {
                    outcomes.add(StepOutcome.of(AgentReports.Outcome.UNCHANGED, u.session()));
                    continue;
                }
                if (decision instanceof KernelReports.Decision.Facts f) {
                    // New runtime facts while the workload starts: they ride the write of the steps before them, or
                    // are written alone (SessionChange.runtimeFacts: no event, the next status change carries them).
                    s = f.next();
                    if (written.isEmpty()) {
                        factsAlone = true;
                    } else {
                        written.set(written.size() - 1, s);
                    }
                    outcomes.add(StepOutcome.of(AgentReports.Outcome.APPLIED, s));
                    continue;
                }
                KernelReports.Decision.Apply apply = (KernelReports.Decision.Apply) decision;
                before.add(s.status());
                s = apply.next();
                written.add(s);
                outcomes.add(StepOutcome.of(AgentReports.Outcome.APPLIED, s));
                if (apply.releaseSlots() || SessionChange.releasesSlots(before.get(before.size() - 1), s)) {
                    releaseAtEnd = apply.releaseSlots();
                    break;
                }
            }
            if (written.isEmpty()) {
                if (output.isPresent() && !logsStored) {
                    logs.put(sessionId, output.get());
                    logsStored = true;
                }
                if (factsAlone) {
                    SaveOutcome saved = sessions.apply(SessionChange.runtimeFacts(current, s.runtime()));
                    if (!(saved instanceof SaveOutcome.Saved done)) {
                        continue; // the session changed meanwhile: decided again from what is stored
                    }
                    for (int i = 0; i < outcomes.size(); i++) {
                        StepOutcome o = outcomes.get(i);
                        if (o.outcome() == AgentReports.Outcome.APPLIED) {
                            outcomes.set(i, new StepOutcome(o.outcome(), Optional.of(done.session()), o.status(), o.message()));
                        }
                    }
                }
                return outcomes;
            }
            SessionChange change = SessionChange.steps(current, written, releaseAtEnd);
            if (output.isPresent()) {
                if (outputWritten && SessionChange.fitsWithTheWrite(output.get()) && change.items() < SessionChange.MAX_TRANSACTION_ITEMS) {
                    change = change.withOutput(output.get());
                } else if (!logsStored) {
                    logs.put(sessionId, output.get());
                    logsStored = true;
                }
            }
            SaveOutcome saved = sessions.apply(change);
            if (saved instanceof SaveOutcome.Saved done) {
                for (int i = 0; i < written.size(); i++) {
                    Session step = i == written.size() - 1 ? done.session() : written.get(i);
                    events.publish(SessionStatusChanged.of(Optional.of(before.get(i)), step, now));
                }
                // From the last written step on, the session is what the store kept (its kernels released, if it gave them back).
                int at = outcomes.size() - 1;
                while (outcomes.get(at).outcome() != AgentReports.Outcome.APPLIED) {
                    at--;
                }
                for (int i = at; i < outcomes.size(); i++) {
                    StepOutcome o = outcomes.get(i);
                    outcomes.set(i, new StepOutcome(o.outcome(), Optional.of(done.session()), o.status(), o.message()));
                }
                return outcomes;
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

    /**
     * The last lines of a session's output, for its owner or an admin: the small output kept with the session's end
     * (written last, with the end), else what is in the logs bucket.
     */
    public Optional<String> logs(Session visible) {
        return sessions.storedOutput(visible.id()).or(() -> logs.get(visible.id()));
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
                // An agent warned of a spot interruption that went silent before reporting its sessions' ends: its
                // instance was reclaimed. They end as interrupted (what a retry rule on spot-interrupted keys on), not lost.
                Optional<Instant> deadline = agent.interruption().flatMap(dev.sluice.core.agent.Interruption::deadline);
                String info = deadline.isPresent() ? dev.sluice.protocol.AgentInterruption.STATUS_INFO : "agent-lost";
                StatusData data = deadline.isPresent()
                        ? new StatusData(dev.sluice.core.json.JsonObject.builder()
                                .put("agent_id", agent.id())
                                .put("interruption_source", agent.interruption().get().source())
                                .put("deadline", deadline.get().toString())
                                .put("last_heartbeat", String.valueOf(agent.lastHeartbeat()))
                                .put("message", "the instance of agent " + agent.id() + " was interrupted (spot) and went silent before "
                                        + "its agent reported the session's end")
                                .build())
                        : StatusData.agentLost(agent.id(), String.valueOf(agent.lastHeartbeat()),
                                "agent " + agent.id() + " sent no heartbeat for " + heartbeatTimeout.toSeconds() + " s");
                // With retry rules, the end is the attempt's: the session may go back to PENDING in this same write.
                Session next = s.status() == SessionStatus.ERROR
                        ? s.withStatusData(s.statusInfo(), s.statusData())
                        : dev.sluice.core.session.SessionRetry.afterEnd(s, s.transitionTo(SessionStatus.ERROR, info, data, now), now);
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

    /** What became of an instance's interruption notice: the agent (none: no agent has the instance's id) and whether it changed. */
    public record InterruptionOutcome(String instanceId, Interruption interruption, Optional<Agent> agent, boolean changed) {
    }

    /**
     * An EC2 spot interruption warning or rebalance recommendation for the instance {@code instanceId}: the agent whose
     * id it is (a fleet-launched instance's agent id is its instance id) is drained at once and the interruption
     * recorded, in one conditional write ({@link AgentStore#interrupt}); the agent hears a warning in its next
     * heartbeat answer. When that changed the agent, {@code Agent Capacity Changed} (reason {@code interrupted} or
     * {@code rebalance-recommended}) makes the scheduler pass over its group at once, so the fleet asks for replacement
     * capacity for what waits. No agent with that id (an instance that is not Sluice's, or one that never joined):
     * nothing is written. A repeated delivery changes nothing and publishes nothing.
     */
    public InterruptionOutcome interrupt(String instanceId, Interruption interruption) {
        if (!AGENT_ID.matcher(instanceId).matches()) {
            return new InterruptionOutcome(instanceId, interruption, Optional.empty(), false);
        }
        Optional<AgentStore.Interrupted> done = agents.interrupt(instanceId, interruption);
        if (done.isEmpty()) {
            return new InterruptionOutcome(instanceId, interruption, Optional.empty(), false);
        }
        Agent agent = done.get().agent();
        if (done.get().changed()) {
            events.publishAgentChanged(instanceId, agent.resourceGroup(),
                    interruption.deadline().isPresent() ? "interrupted" : "rebalance-recommended", clock.instant());
        }
        return new InterruptionOutcome(instanceId, interruption, Optional.of(agent), done.get().changed());
    }
}
