package dev.sluice.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.agent.protocol.HeartbeatAnswer;
import dev.sluice.agent.protocol.HeartbeatRequest;
import dev.sluice.agent.protocol.Wire;
import dev.sluice.agent.runtime.SessionRuntime;
import dev.sluice.protocol.AgentInterruption;
import dev.sluice.protocol.AgentReports;
import dev.sluice.protocol.SessionAssignment;
import dev.sluice.protocol.SessionRuntimeFacts;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The agent's work: heartbeat with capacity and what runs, start each assigned session once, stop what the control
 * plane says to stop, kill batch sessions past their timeout, and report every step in order until acknowledged.
 * The parts are its own: the wire ({@link HeartbeatRequest}, {@link HeartbeatAnswer}), the sessions' states
 * ({@link LedgerEntry} in the {@link Ledger}), GPUs ({@link GpuAllocator}), reports ({@link ReportQueue}), output
 * ({@link OutputUploader}) and stops ({@link StopRunner}); this class decides. Listener callbacks from the runtime
 * arrive on other threads; all state changes happen under this object's lock.
 */
public final class AgentLoop {
    public static final String VERSION = "0.2.0";
    private static final long KEEP_ENDED_MILLIS = Duration.ofHours(1).toMillis();

    private final AgentConfig config;
    private final String agentId;
    private final Capacity capacity;
    private final ControlPlaneClient client;
    private final SessionRuntime runtime;
    private final Clock clock;
    private final Ledger ledger;
    private final GpuAllocator gpus;
    private final ReportQueue reports;
    private final OutputUploader output;
    private final StopRunner stops;
    private final Set<String> orphans = new HashSet<>();
    private final Map<String, Integer> startCounts = new java.util.HashMap<>();
    /** The runtime facts each session's runtime reported last, and the sessions whose facts the control plane has not had. */
    private final Map<String, SessionRuntimeFacts> facts = new java.util.HashMap<>();
    private final Set<String> factsToSend = new java.util.LinkedHashSet<>();
    private volatile boolean running = true;
    private Duration interval;
    private long nextHeartbeat;
    private volatile String lastError = "";
    private volatile JsonNode lastAgentView;
    /** The interruption of this agent's instance, once heard of (from either source); then nothing new starts here. */
    private AgentInterruption.Notice interruption;
    /** The sessions given SIGTERM for the interruption, and when. */
    private final Map<String, java.time.Instant> interruptedAt = new java.util.HashMap<>();

    public AgentLoop(AgentConfig config, String agentId, Capacity capacity, ControlPlaneClient client, SessionRuntime runtime,
                     Clock clock) throws java.io.IOException {
        this.config = config;
        this.agentId = agentId;
        this.capacity = capacity;
        this.client = client;
        this.runtime = runtime;
        this.clock = clock;
        this.interval = config.heartbeatInterval();
        this.ledger = Ledger.load(config.workDir().resolve("ledger.json"));
        this.gpus = new GpuAllocator(capacity.gpuIds());
        this.reports = new ReportQueue(ledger, clock, config.reportCoalesce());
        this.output = new OutputUploader(client, runtime, config.logLines(), this);
        this.stops = new StopRunner(runtime, config.stopGrace());
    }

    public String agentId() {
        return agentId;
    }

    /**
     * After a (re)start: follows again what still runs, reports what ended while the agent was away, and forgets
     * sessions that never got started (their assignment comes again and they start then).
     */
    public synchronized void recover() {
        Map<String, SessionRuntime.Workload> found = new LinkedHashMap<>();
        runtime.discover().forEach(w -> found.put(w.sessionId(), w));
        for (LedgerEntry e : ledger.all()) {
            SessionRuntime.Workload w = found.remove(e.sessionId());
            if (!e.active()) {
                if (!e.removed() && !e.hasPending()) {
                    removeQuietly(e);
                }
                continue;
            }
            if (w != null) {
                runtime.reattach(e.sessionId(), listener(e.sessionId()));
            } else if (e.state() == LedgerEntry.State.RUNNING) {
                endAsError(e, "failed-to-start", "The workload disappeared while the agent was restarting.", false);
            } else {
                ledger.remove(e.sessionId());
            }
        }
        orphans.addAll(found.keySet());
        ledger.save();
    }

    /** Runs until {@link #halt()}: output uploads and cleanup, then a heartbeat (with the reports) when due, then timeouts. */
    public void run() {
        while (running) {
            try {
                step();
            } catch (RuntimeException e) {
                lastError = e.toString();
                System.err.println("{\"level\":\"ERROR\",\"agent\":\"" + agentId + "\",\"error\":\"" + e.toString().replace('"', '\'') + "\"}");
            }
            synchronized (this) {
                long wait = Math.max(10, Math.min(nextHeartbeat - clock.millis(), 500));
                try {
                    if (running) {
                        wait(wait);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Stops heartbeating and reporting; workloads keep running (what a crash or an agent restart looks like). */
    public synchronized void halt() {
        running = false;
        notifyAll();
    }

    /** One round: upload output and clean up, heartbeat (carrying the queued reports) if due, enforce batch timeouts. */
    public void step() {
        // Each part on its own: a report or a cleanup that fails must never keep the heartbeat from going out
        // (a silent agent is declared lost, and its sessions with it).
        try {
            flushReports();
        } catch (RuntimeException e) {
            lastError = "reports: " + e;
        }
        if (clock.millis() >= nextHeartbeat) {
            heartbeat();
        }
        enforceTimeouts();
    }

    /**
     * Set once the control plane refused the reports in a heartbeat as an unknown field (it predates agent 0.2.0, as
     * during a rollout that upgraded the agents first): from then on, for this process' life, each step goes to the
     * per-step status endpoint before the heartbeat, which carries none.
     */
    private volatile boolean perStepStatus;

    /** Whether this agent sends its steps one by one to the status endpoint (its control plane predates 0.2.0). */
    boolean perStepStatus() {
        return perStepStatus;
    }

    /**
     * Set once the control plane answered a report {@code invalid} because it carried runtime facts (it takes reports
     * but predates the facts, as during a rollout that upgraded the agents first): from then on, for this process'
     * life, no report carries facts (those queued with them included) and none is sent for facts alone.
     */
    private volatile boolean factsRefused;

    /** Whether this agent still sends runtime facts (its control plane has not refused them). */
    boolean sendsFacts() {
        return !factsRefused;
    }

    void heartbeat() {
        List<HeartbeatRequest.Running> runningNow = new ArrayList<>();
        List<ReportQueue.Sent> sent;
        List<String> progress;
        synchronized (this) {
            for (LedgerEntry e : ledger.all()) {
                if (e.active()) {
                    runningNow.add(new HeartbeatRequest.Running(e.sessionId(), e.state().heartbeatStatus()));
                }
            }
            orphans.forEach(id -> runningNow.add(new HeartbeatRequest.Running(id, "RUNNING")));
            sent = reports.take();
            // A control plane before 0.2.0 takes each step on its own: facts alone are not sent to it.
            progress = perStepStatus || factsRefused ? List.of() : progressReports(sent);
        }
        if (perStepStatus && !sent.isEmpty()) {
            sendEach(sent);
            sent = new ArrayList<>();
        }
        HeartbeatRequest request = new HeartbeatRequest(config.resourceGroup(), capacity.slots(), capacity.architecture(), VERSION,
                capacity.computePlugins(), runningNow);
        Map<String, Object> body = request.toWire();
        Map<String, Object> packed = request.toWire(ReportQueue.pack(body, sent, output, !factsRefused));
        AgentInterruption.Notice heard = interruptionToTell();
        if (heard != null) {
            packed.put(AgentInterruption.FIELD, heard.toWire());
        }
        ControlPlaneClient.Reply reply = client.heartbeat(packed);
        if (heard != null && refusedAsUnknown(reply, AgentInterruption.FIELD)) {
            // A control plane that predates it: the interruption is not told (its own EventBridge rule may know).
            interruptionRefused = true;
            packed.remove(AgentInterruption.FIELD);
            reply = client.heartbeat(packed);
        }
        if (!sent.isEmpty() && ReportQueue.refusedAsUnknown(reply)) {
            perStepStatus = true;
            System.err.println("{\"level\":\"WARN\",\"agent\":\"" + agentId + "\",\"message\":\"the control plane refused the "
                    + "step reports in the heartbeat (it predates agent 0.2.0): each step goes to POST /agent/sessions/{id}/status "
                    + "from now on, until this agent restarts\"}");
            sendEach(sent);
            sent = new ArrayList<>();
            reply = client.heartbeat(request.toWire(List.of()));
        }
        synchronized (this) {
            // The regular schedule restarts from this heartbeat; a report queued meanwhile, or one that did not fit
            // in it, brings the next one forward again.
            reports.afterHeartbeat(sent.size());
            nextHeartbeat = clock.millis() + interval.toMillis();
            reports.dueAt().ifPresent(due -> nextHeartbeat = Math.min(nextHeartbeat, due));
        }
        if (!reply.ok()) {
            synchronized (this) {
                factsToSend.addAll(progress); // the facts go with the next heartbeat
            }
            String error = "heartbeat answered " + reply.status() + ": " + reply.body();
            if (!error.equals(lastError)) { // said once, not at every interval while it lasts
                System.err.println("{\"level\":\"WARN\",\"agent\":\"" + agentId + "\",\"error\":" + Wire.quoted(error) + "}");
            }
            lastError = error;
            return; // every report stays queued and goes with the next heartbeat
        }
        HeartbeatAnswer answer = HeartbeatAnswer.parse(reply.body());
        List<AgentReports.Result> results = answer.results();
        boolean factsNowRefused = results.stream().anyMatch(ReportQueue::refusedFacts);
        if (factsNowRefused) {
            if (!factsRefused) {
                System.err.println("{\"level\":\"WARN\",\"agent\":\"" + agentId + "\",\"message\":\"the control plane "
                        + "refused the runtime facts in a report (it predates them): reports go without facts from now on, "
                        + "until this agent restarts\"}");
            }
            factsRefused = true;
            // Not the step's fault: it goes again, without the facts.
            results = results.stream().map(r -> ReportQueue.refusedFacts(r) ? new AgentReports.Result(r.sessionId(), r.seq(),
                    AgentReports.Outcome.RETRY, r.status(), r.message()) : r).toList();
        }
        synchronized (this) {
            reports.acknowledge(sent, results).ifPresent(refused -> lastError = refused);
            if (factsNowRefused) {
                reports.dueAgain();
                reports.dueAt().ifPresent(due -> nextHeartbeat = Math.min(nextHeartbeat, due));
            }
            ledger.save();
            notifyAll();
        }
        handle(answer);
    }

    /**
     * Adds to {@code sent} one report a session whose runtime facts changed while it is PULLING or PREPARING and that
     * has no report of its own in this heartbeat (a step report carries the facts itself): its current status again,
     * with the facts. At most one a heartbeat, never a heartbeat of its own. Returns the sessions so reported.
     */
    private List<String> progressReports(List<ReportQueue.Sent> sent) {
        List<String> reported = new ArrayList<>();
        for (java.util.Iterator<String> it = factsToSend.iterator(); it.hasNext(); ) {
            String id = it.next();
            LedgerEntry e = ledger.get(id);
            if (e == null || !e.active()) {
                it.remove();
                continue;
            }
            boolean starting = e.state() == LedgerEntry.State.PULLING || e.state() == LedgerEntry.State.PREPARING;
            if (!starting) {
                it.remove(); // not written alone once it runs: they ride its next step
                continue;
            }
            if (e.hasPending() || sent.size() >= AgentReports.MAX_REPORTS) {
                continue; // a step report of its own goes first (the next heartbeat carries the facts)
            }
            Map<String, Object> step = new LinkedHashMap<>();
            step.put("status", e.state().name());
            step.put(SessionRuntimeFacts.FIELD, facts.getOrDefault(id, SessionRuntimeFacts.EMPTY).toWire());
            Optional<LedgerEntry.Pending> report = e.restating(step);
            if (report.isPresent()) {
                sent.add(ReportQueue.Sent.factsOnly(e, report.get()));
                reported.add(id);
                it.remove();
            }
        }
        return reported;
    }

    /** The reports sent one by one to the status endpoint, and each answer taken as a heartbeat's result would be. */
    private void sendEach(List<ReportQueue.Sent> sent) {
        List<AgentReports.Result> results = ReportQueue.sendEach(sent, client, output);
        synchronized (this) {
            reports.acknowledge(sent, results).ifPresent(refused -> lastError = refused);
            ledger.save();
            notifyAll();
        }
    }

    /** Applies a heartbeat answer. Idempotent: the same answer twice starts and stops nothing twice. */
    public void handle(JsonNode reply) {
        handle(HeartbeatAnswer.parse(reply));
    }

    private synchronized void handle(HeartbeatAnswer answer) {
        lastAgentView = answer.agent();
        answer.interval().ifPresent(i -> interval = i);
        answer.interruption().ifPresent(this::interrupted);
        for (SessionAssignment a : answer.assignments()) {
            LedgerEntry known = ledger.get(a.sessionId());
            if (known != null) {
                if (!(a.status().equals("SCHEDULED") && known.settled())) {
                    continue;
                }
                // A new attempt of a session that ran here before: its retry rules re-queued it after its end (reported
                // and cleaned up) and it was placed here again. The old entry goes; the attempt starts afresh. (While the
                // old end is still unreported or its workload not yet removed, the next answer asks again.)
                ledger.remove(a.sessionId());
            }
            if (orphans.remove(a.sessionId())) {
                adopt(a);
                continue;
            }
            if (interruption != null) {
                // The instance is going away: nothing new starts here; the session ends at once, as interrupted.
                LedgerEntry e = LedgerEntry.assigned(a.sessionId(), a.kernelId(), a.type(), a.batchTimeoutSeconds().orElse(null));
                ledger.put(e);
                endInterrupted(e, java.time.Instant.ofEpochMilli(clock.millis()), OptionalInt.empty(), false);
                ledger.save();
                continue;
            }
            start(a);
        }
        for (String id : answer.terminate()) {
            LedgerEntry e = ledger.get(id);
            long now = clock.millis();
            if (e == null) {
                if (orphans.remove(id)) {
                    stops.stopAndRemove(id);
                }
            } else if (e.firstStop(now)) {
                ledger.save();
                stops.stop(id);
            } else if (e.stopAgain(now, config.stopGrace().toMillis() + interval.toMillis() * 3)) {
                stops.stop(id); // still told to stop long after a stop: ask again
            } else {
                // It ended here, but the control plane still waits for the end (a report lost on the way): say it again.
                e.endToRepeat().ifPresent(end -> {
                    enqueue(e, end);
                    ledger.save();
                });
            }
        }
    }

    private void start(SessionAssignment a) {
        LedgerEntry e = LedgerEntry.assigned(a.sessionId(), a.kernelId(), a.type(), a.batchTimeoutSeconds().orElse(null));
        ledger.put(e);
        if (!a.status().equals("SCHEDULED")) {
            // The control plane believes it started here, but this agent has no trace of it (its state was lost).
            endAsError(e, "failed-to-start", "The agent has no record of this session (its state was lost).", false);
            ledger.save();
            return;
        }
        int count = GpuAllocator.requested(a.slots());
        Optional<List<String>> devices = gpus.allocate(count, ledger.all());
        if (devices.isEmpty()) {
            endAsError(e, "failed-to-start", "The agent has fewer free GPUs than the " + count + " allocated.", false);
            ledger.save();
            return;
        }
        e.allocate(devices.get());
        ledger.save();
        startCounts.merge(e.sessionId(), 1, Integer::sum);
        runtime.start(Assignment.of(a, e.gpus()), listener(e.sessionId()));
    }

    private void adopt(SessionAssignment a) {
        LedgerEntry.State state = a.status().equals("SCHEDULED") ? LedgerEntry.State.PREPARING : LedgerEntry.State.named(a.status());
        LedgerEntry e = LedgerEntry.adopted(a.sessionId(), a.kernelId(), a.type(), a.batchTimeoutSeconds().orElse(null), state, clock.millis());
        ledger.put(e);
        ledger.save();
        runtime.reattach(e.sessionId(), listener(e.sessionId()));
    }

    /**
     * The one way a session ends as ERROR: the report with its reason, then the end. {@code workloadLeft}: the runtime
     * ran it (its remains are removed once the end is acknowledged); otherwise nothing of it is on this host.
     */
    private void endAsError(LedgerEntry e, String reason, String message, boolean workloadLeft) {
        Map<String, Object> step = new LinkedHashMap<>();
        step.put("status", "ERROR");
        step.put("reason", reason);
        step.put("message", message);
        enqueue(e, step);
        e.end(clock.millis(), workloadLeft);
    }

    /**
     * The instance is going away at {@code notice.deadline()} (the control plane's heartbeat answer or the metadata
     * service said so; the first word counts, later ones change nothing). At once, for every session here: its
     * deadline file is written ({@link AgentInterruption}: {@code SLUICE_DEADLINE_FILE}), then its workload gets
     * SIGTERM, with until the deadline less {@code interruption.save.time} to end before it is killed, so that its
     * writable folders are saved (the end path every session takes, {@link StagingRuntime}) before the instance goes.
     * Each then ends ERROR {@value AgentInterruption#STATUS_INFO}. Nothing new starts here from now on.
     */
    public synchronized void interrupted(AgentInterruption.Notice notice) {
        if (interruption != null) {
            return;
        }
        interruption = notice;
        java.time.Instant now = java.time.Instant.ofEpochMilli(clock.millis());
        Duration grace = Duration.between(now, notice.deadline()).minus(config.interruptionSaveTime());
        if (grace.isNegative()) {
            grace = Duration.ZERO;
        }
        System.out.println("{\"level\":\"WARN\",\"event\":\"spot-interrupted\",\"agent\":\"" + agentId + "\",\"source\":\""
                + notice.source() + "\",\"deadline\":\"" + notice.deadline() + "\",\"grace_ms\":" + grace.toMillis() + "}");
        for (LedgerEntry e : ledger.all()) {
            if (!e.active()) {
                continue;
            }
            writeDeadline(e.sessionId(), notice);
            interruptedAt.put(e.sessionId(), java.time.Instant.ofEpochMilli(clock.millis()));
            e.firstStop(clock.millis());
            stops.stop(e.sessionId(), grace);
        }
        ledger.save();
        // The ends (and the control plane's view of the drain) matter now: the next heartbeat goes at once.
        nextHeartbeat = clock.millis();
        notifyAll();
    }

    /** Set once the control plane refused the interruption in a heartbeat as an unknown field (it predates it). */
    private volatile boolean interruptionRefused;

    /** The interruption to tell the control plane with each heartbeat (it drains the agent), unless it refused it. */
    private synchronized AgentInterruption.Notice interruptionToTell() {
        return interruptionRefused ? null : interruption;
    }

    private static boolean refusedAsUnknown(ControlPlaneClient.Reply reply, String field) {
        return reply.status() == 422 && reply.body() != null && field.equals(reply.body().path("error").path("field").asText());
    }

    /** Whether this agent heard its instance is going away. */
    public synchronized Optional<AgentInterruption.Notice> interruption() {
        return Optional.ofNullable(interruption);
    }

    /** The session's deadline file, written whole (a temporary file moved into place): the workload never reads half of it. */
    private void writeDeadline(String sessionId, AgentInterruption.Notice notice) {
        Optional<java.nio.file.Path> file = runtime.deadlineFile(sessionId);
        if (file.isEmpty()) {
            return;
        }
        try {
            java.nio.file.Path dir = java.nio.file.Files.createDirectories(file.get().getParent());
            java.nio.file.Path tmp = dir.resolve("." + file.get().getFileName() + ".tmp");
            java.nio.file.Files.writeString(tmp, notice.deadlineFile());
            try {
                java.nio.file.Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException notPosix) {
                // its own defaults stand
            }
            java.nio.file.Files.move(tmp, file.get(), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (java.io.IOException | RuntimeException failure) {
            // The workload still gets SIGTERM; it only cannot read the deadline.
            lastError = "deadline file of " + sessionId + ": " + failure.getMessage();
        }
    }

    /** The end of a session cut short by the interruption: ERROR spot-interrupted, with the interruption's facts. */
    private void endInterrupted(LedgerEntry e, java.time.Instant signaledAt, OptionalInt exitCode, boolean workloadLeft) {
        Map<String, Object> step = new LinkedHashMap<>();
        step.put("status", "ERROR");
        step.put("reason", AgentInterruption.STATUS_INFO);
        step.put("message", exitCode.isPresent()
                ? "The instance is being interrupted (spot) at " + interruption.deadline() + ": the workload was given SIGTERM at "
                        + signaledAt + " and ended with exit code " + exitCode.getAsInt() + "; its writable folders (if any) were saved."
                : "The instance is being interrupted (spot) at " + interruption.deadline() + ": the session was not started here.");
        exitCode.ifPresent(c -> step.put("exit_code", Math.max(-255, Math.min(255, c))));
        step.put(AgentInterruption.REPORT_FIELD, interruption.reportField(signaledAt));
        enqueue(e, step);
        e.end(clock.millis(), workloadLeft);
    }

    /** Removes an ended workload; a failure (a busy container) is left for the next round, never thrown. */
    private void removeQuietly(LedgerEntry e) {
        try {
            runtime.remove(e.sessionId());
            e.removedFromHost();
        } catch (RuntimeException failure) {
            lastError = "remove " + e.sessionId() + ": " + failure.getMessage();
        }
    }

    private synchronized void enforceTimeouts() {
        long now = clock.millis();
        for (LedgerEntry e : ledger.all()) {
            if (e.timesOut(now)) {
                ledger.save();
                stops.stop(e.sessionId());
            }
        }
    }

    /**
     * What the runtime tells of one session's workload. Once this loop is {@link #halt() halted} it hears nothing more:
     * a halted loop stands for a dead agent process, whose threads die with it, so a runtime thread still following a
     * workload (a {@code docker wait} of the old process) must never write the ledger or act on the workload that the
     * agent started again on the same work directory now follows.
     */
    private SessionRuntime.Listener listener(String sessionId) {
        return new SessionRuntime.Listener() {
            @Override
            public void pulling() {
                if (running) {
                    stepped(sessionId, LedgerEntry.State.PULLING, Map.of());
                }
            }

            @Override
            public void preparing() {
                if (running) {
                    stepped(sessionId, LedgerEntry.State.PREPARING, Map.of());
                }
            }

            @Override
            public void running(String containerId, Map<String, Object> devices) {
                if (!running) {
                    return;
                }
                Map<String, Object> extra = new LinkedHashMap<>();
                extra.put("container_id", containerId);
                Map<String, String> dev = new LinkedHashMap<>();
                devices.forEach((k, v) -> dev.put(k, String.valueOf(v)));
                extra.put("devices", dev);
                stepped(sessionId, LedgerEntry.State.RUNNING, extra);
            }

            @Override
            public void exited(int exitCode) {
                if (running) {
                    exitedWith(sessionId, exitCode);
                }
            }

            @Override
            public void failed(String message) {
                failed("failed-to-start", message);
            }

            @Override
            public void failed(String reason, String message) {
                if (running) {
                    failedWith(sessionId, reason, message);
                }
            }

            @Override
            public void facts(SessionRuntimeFacts latest) {
                if (running) {
                    factsReported(sessionId, latest);
                }
            }
        };
    }

    /** Keeps the latest facts; they go with the next step report, or alone with the next heartbeat (not bringing it forward). */
    private synchronized void factsReported(String sessionId, SessionRuntimeFacts latest) {
        if (!running) {
            return; // halted: checked under the lock halt() takes, so nothing is written after it
        }
        LedgerEntry e = ledger.get(sessionId);
        if (e == null || !e.active() || latest.equals(facts.getOrDefault(sessionId, SessionRuntimeFacts.EMPTY))) {
            return;
        }
        facts.put(sessionId, latest);
        factsToSend.add(sessionId);
    }

    private synchronized void stepped(String sessionId, LedgerEntry.State state, Map<String, Object> extra) {
        if (!running) {
            return; // halted: checked under the lock halt() takes, so nothing is written after it
        }
        LedgerEntry e = ledger.get(sessionId);
        if (e == null || !e.accepts(state)) {
            return;
        }
        e.step(state, clock.millis());
        Map<String, Object> step = new LinkedHashMap<>();
        step.put("status", state.name());
        step.putAll(extra);
        SessionRuntimeFacts known = facts.get(sessionId);
        if (known != null && !known.isEmpty()) {
            step.put(SessionRuntimeFacts.FIELD, known.toWire());
            factsToSend.remove(sessionId);
        }
        enqueue(e, step);
        ledger.save();
        notifyAll();
    }

    private synchronized void exitedWith(String sessionId, int exitCode) {
        if (!running) {
            return; // halted: checked under the lock halt() takes, so nothing is written after it
        }
        LedgerEntry e = ledger.get(sessionId);
        if (e == null || !e.active()) {
            return;
        }
        java.time.Instant signaled = interruptedAt.get(sessionId);
        if (signaled != null) {
            endInterrupted(e, signaled, OptionalInt.of(exitCode), true);
            forgetFacts(sessionId);
            ledger.save();
            notifyAll();
            return;
        }
        Map<String, Object> step = new LinkedHashMap<>();
        step.put("status", "TERMINATED");
        step.put("exit_code", Math.max(-255, Math.min(255, exitCode)));
        if (e.endReason() != null) {
            step.put("reason", e.endReason());
        }
        enqueue(e, step);
        e.end(clock.millis(), true);
        forgetFacts(sessionId);
        ledger.save();
        notifyAll();
    }

    private void forgetFacts(String sessionId) {
        facts.remove(sessionId);
        factsToSend.remove(sessionId);
    }

    private synchronized void failedWith(String sessionId, String reason, String message) {
        if (!running) {
            return; // halted: checked under the lock halt() takes, so nothing is written after it
        }
        LedgerEntry e = ledger.get(sessionId);
        if (e == null || !e.active()) {
            return;
        }
        endAsError(e, reason, message, true);
        forgetFacts(sessionId);
        ledger.save();
        notifyAll();
    }

    /** Queues a report; the first since the last heartbeat brings the next heartbeat forward to {@code report.coalesce}. */
    private void enqueue(LedgerEntry e, Map<String, Object> step) {
        reports.enqueue(e, step);
        reports.dueAt().ifPresent(due -> nextHeartbeat = Math.min(nextHeartbeat, due));
    }

    /**
     * Uploads running sessions' output tails and cleans up sessions whose end was acknowledged. The reports
     * themselves ride the heartbeat ({@link #heartbeat}).
     */
    void flushReports() {
        List<LedgerEntry> entries;
        synchronized (this) {
            entries = ledger.all();
        }
        for (LedgerEntry e : entries) {
            if (e.active()) {
                output.uploadTail(e, clock.millis(), interval.toMillis());
            }
            synchronized (this) {
                if (!e.active() && !e.hasPending() && !e.removed()) {
                    removeQuietly(e);
                    ledger.save();
                }
            }
        }
        synchronized (this) {
            ledger.prune(clock.millis(), KEEP_ENDED_MILLIS);
        }
    }

    /** For status displays and tests: the sessions this agent holds and their states. */
    public synchronized Map<String, String> sessions() {
        Map<String, String> out = new LinkedHashMap<>();
        for (LedgerEntry e : ledger.all()) {
            out.put(e.sessionId(), e.state().name());
        }
        return out;
    }

    /**
     * Waits until every step report queued so far is acknowledged and every stop given to the runtime has returned:
     * after it, what the agent did is what the control plane and the runtime saw. False if not within {@code within}.
     */
    public boolean awaitSettled(Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        synchronized (this) {
            while (!reports.empty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                wait(Math.max(1, left / 1_000_000));
            }
        }
        return stops.awaitIdle(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    }

    /** Waits until every stop given to the runtime so far has returned (they run in the background); false if not within {@code within}. */
    public boolean awaitStops(Duration within) throws InterruptedException {
        return stops.awaitIdle(within);
    }

    /** How many times this agent (this process) asked its runtime to start the session: once at most. */
    public synchronized int starts(String sessionId) {
        return startCounts.getOrDefault(sessionId, 0);
    }

    public String lastError() {
        return lastError;
    }

    public JsonNode lastAgentView() {
        return lastAgentView;
    }
}
