package dev.sluice.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.agent.runtime.SessionRuntime;
import dev.sluice.protocol.AgentReports;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The agent's work: heartbeat with capacity and what runs, start each assigned session once, stop what the control
 * plane says to stop, kill batch sessions past their timeout, and report every step in order until acknowledged.
 * Listener callbacks from the runtime arrive on other threads; all state changes happen under this object's lock.
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
    private final Set<String> orphans = new HashSet<>();
    private final Map<String, Long> logsSentAt = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean running = true;
    private Duration interval;
    private long nextHeartbeat;
    /** When the reports queued since the last heartbeat are due (null: none queued). */
    private Long reportsDueAt;
    private volatile String lastError = "";
    private volatile JsonNode lastAgentView;

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
        for (Ledger.Entry e : ledger.all()) {
            SessionRuntime.Workload w = found.remove(e.sessionId);
            if (!e.active()) {
                if (!e.removed && e.pending.isEmpty()) {
                    e.removed = removeQuietly(e.sessionId);
                }
                continue;
            }
            if (w != null) {
                runtime.reattach(e.sessionId, listener(e.sessionId));
            } else if (e.state.equals("RUNNING")) {
                enqueue(e, report("ERROR", Map.of("reason", "failed-to-start",
                        "message", "The workload disappeared while the agent was restarting.")));
                e.state = "ENDED";
                e.endedAt = clock.millis();
                e.removed = true;
            } else {
                ledger.remove(e.sessionId);
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

    void heartbeat() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("resource_group", config.resourceGroup());
        body.put("available_slots", capacity.slots());
        body.put("architecture", capacity.architecture());
        body.put("version", VERSION);
        body.put("compute_plugins", capacity.computePlugins());
        List<Map<String, Object>> runningNow = new ArrayList<>();
        List<Sent> sent = new ArrayList<>();
        synchronized (this) {
            for (Ledger.Entry e : ledger.all()) {
                if (e.active()) {
                    runningNow.add(Map.of("session_id", e.sessionId, "status", e.state.equals("STARTING") ? "SCHEDULED" : e.state));
                }
                for (Map<String, Object> r : e.pending) {
                    if (!r.containsKey(AgentReports.SEQ)) {
                        r.put(AgentReports.SEQ, e.nextSeq++); // queued by an agent before 0.2.0, which numbered none
                    }
                    if (sent.size() < AgentReports.MAX_REPORTS) {
                        sent.add(new Sent(e, r));
                    }
                }
            }
            orphans.forEach(id -> runningNow.add(Map.of("session_id", id, "status", "RUNNING")));
            reportsDueAt = null;
        }
        body.put("running", runningNow);
        body.put(AgentReports.REPORTS, reports(body, sent));
        ControlPlaneClient.Reply reply = client.heartbeat(body);
        synchronized (this) {
            // The regular schedule restarts from this heartbeat; a report queued meanwhile, or one that did not fit
            // in it, brings the next one forward again.
            long queued = ledger.all().stream().mapToLong(e -> e.pending.size()).sum();
            if (queued > sent.size() && reportsDueAt == null) {
                reportsDueAt = clock.millis() + config.reportCoalesce().toMillis();
            }
            nextHeartbeat = clock.millis() + interval.toMillis();
            if (reportsDueAt != null) {
                nextHeartbeat = Math.min(nextHeartbeat, reportsDueAt);
            }
        }
        if (!reply.ok()) {
            String error = "heartbeat answered " + reply.status() + ": " + reply.body();
            if (!error.equals(lastError)) { // said once, not at every interval while it lasts
                System.err.println("{\"level\":\"WARN\",\"agent\":\"" + agentId + "\",\"error\":"
                        + JSON.valueToTree(error) + "}");
            }
            lastError = error;
            return; // every report stays queued and goes with the next heartbeat
        }
        acknowledge(sent, reply.body().path(AgentReports.RESULTS));
        handle(reply.body());
    }

    /** A queued report put in a heartbeat, and the output carried with it (if it is the end's). */
    private record Sent(Ledger.Entry entry, Map<String, Object> report, String[] logs) {
        Sent(Ledger.Entry entry, Map<String, Object> report) {
            this(entry, report, new String[1]);
        }
    }

    private static boolean isEnd(Map<String, Object> report) {
        return !"PULLING PREPARING RUNNING".contains(String.valueOf(report.get("status")));
    }

    /**
     * The reports in the wire shape. A session's end carries its last output when the whole body stays within
     * {@link #MAX_LOGS_BODY_BYTES} (measured encoded, as for an upload); when it would not, the output goes up on its
     * own first ({@code PUT .../logs}), as before, so the end is never reported before its output is stored.
     */
    private List<Map<String, Object>> reports(Map<String, Object> body, List<Sent> sent) {
        List<Map<String, Object>> wire = new ArrayList<>();
        int size = encodedBody(body, wire);
        int kept = 0;
        for (Sent s : sent) {
            Map<String, Object> step = new LinkedHashMap<>(s.report());
            long seq = ((Number) step.remove(AgentReports.SEQ)).longValue();
            if (step.get("message") instanceof String m && m.length() > MAX_MESSAGE) {
                step.put("message", m.substring(0, MAX_MESSAGE)); // the control plane keeps no more
            }
            Map<String, Object> w = new AgentReports.Report(s.entry().sessionId, seq, step, Optional.empty()).toWire();
            int more = encodedSize(w) + 1;
            if (size + more > MAX_LOGS_BODY_BYTES && kept > 0) {
                break; // the rest goes with the next heartbeat, brought forward for it
            }
            wire.add(w);
            size += more;
            kept++;
        }
        sent.subList(kept, sent.size()).clear();
        for (int i = 0; i < sent.size(); i++) {
            Sent s = sent.get(i);
            if (!isEnd(s.report()) || s.entry().removed) {
                continue;
            }
            Optional<String> text = runtime.logs(s.entry().sessionId, config.logLines()).map(t -> capped(t, MAX_LOGS_BODY_BYTES));
            if (text.isEmpty() || text.get().hashCode() == s.entry().logsHash) {
                continue;
            }
            // ,"logs":"..." adds the encoded text less the {"text":} around it in an upload, plus the name
            int more = encodedSize(text.get()) - "{\"text\":}".length() + ",\"logs\":".length();
            if (size + more <= MAX_LOGS_BODY_BYTES) {
                wire.get(i).put(AgentReports.LOGS, text.get());
                s.logs()[0] = text.get();
                size += more;
            } else {
                sendLogs(s.entry());
            }
        }
        return wire;
    }

    private static final int MAX_MESSAGE = 2000;

    private static int encodedSize(Object value) {
        try {
            return JSON.writeValueAsBytes(value).length;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int encodedBody(Map<String, Object> body, List<Map<String, Object>> reports) {
        Map<String, Object> all = new LinkedHashMap<>(body);
        all.put(AgentReports.REPORTS, reports);
        try {
            return JSON.writeValueAsBytes(all).length;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Drops each report the control plane answered for with a final outcome (applied, unchanged, refused, not
     * found, invalid); keeps those it asks again ({@code retry}) or did not answer for.
     */
    private synchronized void acknowledge(List<Sent> sent, JsonNode results) {
        Map<String, AgentReports.Outcome> outcomes = new java.util.HashMap<>();
        for (JsonNode r : results) {
            AgentReports.Result result = AgentReports.Result.fromWire(JSON.convertValue(r, MAP));
            outcomes.put(result.sessionId() + "#" + result.seq(), result.outcome());
            if (result.outcome() == AgentReports.Outcome.REFUSED || result.outcome() == AgentReports.Outcome.INVALID) {
                lastError = "report of " + result.sessionId() + " " + result.outcome().wireName() + ": " + result.message().orElse("");
            }
        }
        for (Sent s : sent) {
            AgentReports.Outcome o = outcomes.get(s.entry().sessionId + "#" + s.report().get(AgentReports.SEQ));
            if (o == null || o.retry()) {
                continue;
            }
            s.entry().pending.remove(s.report());
            if (s.logs()[0] != null) {
                s.entry().logsHash = s.logs()[0].hashCode();
            }
        }
        ledger.save();
        notifyAll();
    }

    private static final com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>> MAP = new com.fasterxml.jackson.core.type.TypeReference<>() { };

    /** Applies a heartbeat answer. Idempotent: the same answer twice starts and stops nothing twice. */
    public synchronized void handle(JsonNode reply) {
        lastAgentView = reply.path("agent");
        long seconds = reply.path("heartbeat_interval").asLong(0);
        if (seconds > 0) {
            interval = Duration.ofSeconds(seconds);
        }
        for (JsonNode a : reply.path("assignments")) {
            String id = a.path("session_id").asText();
            if (ledger.get(id) != null) {
                continue;
            }
            if (orphans.remove(id)) {
                adopt(a);
                continue;
            }
            start(a);
        }
        for (JsonNode t : reply.path("terminate")) {
            String id = t.path("session_id").asText();
            Ledger.Entry e = ledger.get(id);
            if (e != null && e.active() && !e.stopRequested) {
                e.stopRequested = true;
                e.stopRequestedAt = clock.millis();
                ledger.save();
                stopInBackground(id);
            } else if (e != null && e.active() && e.stopRequestedAt != null
                    && clock.millis() - e.stopRequestedAt > config.stopGrace().toMillis() + interval.toMillis() * 3) {
                // still told to stop long after a stop: ask again
                e.stopRequestedAt = clock.millis();
                stopInBackground(id);
            } else if (e != null && !e.active() && e.pending.isEmpty() && e.lastEnd != null) {
                // It ended here, but the control plane still waits for the end (a report lost on the way): say it again.
                Map<String, Object> again = new LinkedHashMap<>(e.lastEnd);
                again.remove(AgentReports.SEQ);
                enqueue(e, again);
                ledger.save();
            } else if (e == null && orphans.remove(id)) {
                stopInBackground(id);
                Thread cleanup = new Thread(() -> runtime.remove(id));
                cleanup.setDaemon(true);
                cleanup.start();
            }
        }
    }

    private void start(JsonNode a) {
        Ledger.Entry e = new Ledger.Entry();
        e.sessionId = a.path("session_id").asText();
        e.kernelId = a.path("kernel_id").asText(e.sessionId + "-0");
        e.type = a.path("type").asText("interactive");
        e.batchTimeoutSeconds = a.path("batch_timeout").isNumber() ? a.path("batch_timeout").asLong() : null;
        String status = a.path("status").asText("SCHEDULED");
        ledger.put(e);
        if (!status.equals("SCHEDULED")) {
            // The control plane believes it started here, but this agent has no trace of it (its state was lost).
            enqueue(e, report("ERROR", Map.of("reason", "failed-to-start",
                    "message", "The agent has no record of this session (its state was lost).")));
            e.state = "ENDED";
            e.endedAt = clock.millis();
            e.removed = true;
            ledger.save();
            return;
        }
        int gpus = gpusRequested(a.path("slots"));
        Optional<List<String>> devices = allocate(gpus);
        if (devices.isEmpty()) {
            enqueue(e, report("ERROR", Map.of("reason", "failed-to-start",
                    "message", "The agent has fewer free GPUs than the " + gpus + " allocated.")));
            e.state = "ENDED";
            e.endedAt = clock.millis();
            e.removed = true;
            ledger.save();
            return;
        }
        e.gpus = devices.get();
        Assignment assignment = assignment(a, e.gpus);
        ledger.save();
        runtime.start(assignment, listener(e.sessionId));
    }

    private void adopt(JsonNode a) {
        Ledger.Entry e = new Ledger.Entry();
        e.sessionId = a.path("session_id").asText();
        e.kernelId = a.path("kernel_id").asText(e.sessionId + "-0");
        e.type = a.path("type").asText("interactive");
        e.batchTimeoutSeconds = a.path("batch_timeout").isNumber() ? a.path("batch_timeout").asLong() : null;
        e.state = a.path("status").asText("RUNNING").equals("SCHEDULED") ? "PREPARING" : a.path("status").asText();
        e.runningSince = clock.millis();
        ledger.put(e);
        ledger.save();
        runtime.reattach(e.sessionId, listener(e.sessionId));
    }

    static Assignment assignment(JsonNode a, List<String> gpus) {
        Map<String, String> slots = new LinkedHashMap<>();
        a.path("slots").fields().forEachRemaining(f -> slots.put(f.getKey(), f.getValue().asText()));
        Map<String, String> env = new LinkedHashMap<>();
        a.path("environment").fields().forEachRemaining(f -> env.put(f.getKey(), f.getValue().asText()));
        List<Assignment.Mount> mounts = new ArrayList<>();
        for (JsonNode m : a.path("mounts")) {
            if (m.isTextual()) {
                mounts.add(new Assignment.Mount(m.asText(), m.asText(), "rw", "/home/work/" + m.asText()));
            } else {
                mounts.add(new Assignment.Mount(m.path("name").asText(), m.path("location").asText(m.path("name").asText()),
                        m.path("permission").asText("rw"), m.path("path").asText("/home/work/" + m.path("name").asText())));
            }
        }
        Optional<String> command = a.path("startup_command").isTextual() ? Optional.of(a.path("startup_command").asText()) : Optional.empty();
        Optional<Duration> timeout = a.path("batch_timeout").isNumber() ? Optional.of(Duration.ofSeconds(a.path("batch_timeout").asLong()))
                : Optional.empty();
        return new Assignment(a.path("session_id").asText(), a.path("kernel_id").asText(), a.path("type").asText("interactive"),
                a.path("image").asText(), slots, gpus, env, mounts, command, a.path("cluster_role").asText("main"),
                a.path("cluster_index").asInt(0), timeout);
    }

    private static int gpusRequested(JsonNode slots) {
        JsonNode n = slots.path("cuda.device");
        if (n.isMissingNode() || n.isNull()) {
            return 0;
        }
        return new BigDecimal(n.asText()).setScale(0, java.math.RoundingMode.CEILING).intValueExact();
    }

    private Optional<List<String>> allocate(int count) {
        if (count == 0) {
            return Optional.of(List.of());
        }
        Set<String> held = new HashSet<>();
        for (Ledger.Entry e : ledger.all()) {
            if (e.active()) {
                held.addAll(e.gpus);
            }
        }
        List<String> free = capacity.gpuIds().stream().filter(g -> !held.contains(g)).toList();
        return free.size() < count ? Optional.empty() : Optional.of(new ArrayList<>(free.subList(0, count)));
    }

    /** Removes an ended workload; a failure (a busy container) is left for the next round, never thrown. */
    private boolean removeQuietly(String sessionId) {
        try {
            runtime.remove(sessionId);
            return true;
        } catch (RuntimeException e) {
            lastError = "remove " + sessionId + ": " + e.getMessage();
            return false;
        }
    }

    private void stopInBackground(String sessionId) {
        Thread t = new Thread(() -> runtime.stop(sessionId, config.stopGrace()), "stop-" + sessionId);
        t.setDaemon(true);
        t.start();
    }

    private synchronized void enforceTimeouts() {
        long now = clock.millis();
        for (Ledger.Entry e : ledger.all()) {
            if (e.active() && e.state.equals("RUNNING") && !e.timedOut && e.batchTimeoutSeconds != null
                    && e.runningSince != null && e.runningSince + e.batchTimeoutSeconds * 1000 <= now) {
                e.timedOut = true;
                ledger.save();
                stopInBackground(e.sessionId);
            }
        }
    }

    private SessionRuntime.Listener listener(String sessionId) {
        return new SessionRuntime.Listener() {
            @Override
            public void pulling() {
                step(sessionId, "PULLING", report("PULLING", Map.of()));
            }

            @Override
            public void preparing() {
                step(sessionId, "PREPARING", report("PREPARING", Map.of()));
            }

            @Override
            public void running(String containerId, Map<String, Object> devices) {
                Map<String, Object> extra = new LinkedHashMap<>();
                extra.put("container_id", containerId);
                Map<String, String> dev = new LinkedHashMap<>();
                devices.forEach((k, v) -> dev.put(k, String.valueOf(v)));
                extra.put("devices", dev);
                step(sessionId, "RUNNING", report("RUNNING", extra));
            }

            @Override
            public void exited(int exitCode) {
                ended(sessionId, exitCode, null, null);
            }

            @Override
            public void failed(String message) {
                ended(sessionId, null, "failed-to-start", message);
            }

            @Override
            public void failed(String reason, String message) {
                ended(sessionId, null, reason, message);
            }
        };
    }

    private synchronized void step(String sessionId, String state, Map<String, Object> report) {
        Ledger.Entry e = ledger.get(sessionId);
        if (e == null || !e.active()) {
            return;
        }
        e.state = state;
        if (state.equals("RUNNING") && e.runningSince == null) {
            e.runningSince = clock.millis();
        }
        enqueue(e, report);
        ledger.save();
        notifyAll();
    }

    private synchronized void ended(String sessionId, Integer exitCode, String failureReason, String failure) {
        Ledger.Entry e = ledger.get(sessionId);
        if (e == null || !e.active()) {
            return;
        }
        Map<String, Object> extra = new LinkedHashMap<>();
        if (failure != null) {
            extra.put("reason", failureReason);
            extra.put("message", failure);
            enqueue(e, report("ERROR", extra));
        } else {
            extra.put("exit_code", Math.max(-255, Math.min(255, exitCode)));
            if (e.timedOut) {
                extra.put("reason", "task-timeout");
            } else if (e.stopRequested) {
                extra.put("reason", "user-requested");
            }
            enqueue(e, report("TERMINATED", extra));
        }
        e.lastEnd = new LinkedHashMap<>(e.pending.get(e.pending.size() - 1));
        e.state = "ENDED";
        e.endedAt = clock.millis();
        ledger.save();
        notifyAll();
    }

    private static Map<String, Object> report(String status, Map<String, Object> extra) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("status", status);
        r.putAll(extra);
        return r;
    }

    /**
     * Queues a report, numbered for its session, and brings the next heartbeat forward to {@code report.coalesce}
     * after the first report queued since the last heartbeat: the steps of a short session travel together.
     */
    private void enqueue(Ledger.Entry e, Map<String, Object> report) {
        report.put(AgentReports.SEQ, e.nextSeq++);
        e.pending.add(report);
        if (reportsDueAt == null) {
            reportsDueAt = clock.millis() + config.reportCoalesce().toMillis();
            nextHeartbeat = Math.min(nextHeartbeat, reportsDueAt);
        }
    }

    /**
     * Uploads running sessions' output tails and cleans up sessions whose end was acknowledged. The reports
     * themselves ride the heartbeat ({@link #heartbeat}).
     */
    void flushReports() {
        List<Ledger.Entry> entries;
        synchronized (this) {
            entries = ledger.all();
        }
        for (Ledger.Entry e : entries) {
            if (e.active()) {
                uploadLogs(e);
            }
            synchronized (this) {
                if (!e.active() && e.pending.isEmpty() && !e.removed) {
                    e.removed = removeQuietly(e.sessionId);
                    ledger.save();
                }
            }
        }
        synchronized (this) {
            ledger.prune(clock.millis(), KEEP_ENDED_MILLIS);
        }
    }

    /** Sends the session's output tail when it changed, at most once an interval, and a last time before its end is reported. */
    private void uploadLogs(Ledger.Entry e) {
        if (e.removed) {
            return;
        }
        long now = clock.millis();
        Long last = logsSentAt.get(e.sessionId);
        if (e.active() && last != null && last + interval.toMillis() > now) {
            return;
        }
        logsSentAt.put(e.sessionId, now);
        sendLogs(e);
    }

    /** A logs upload's whole request body, {"text": ...} as JSON, stays within this (the API refuses bodies over 64 KiB). */
    static final int MAX_LOGS_BODY_BYTES = 64 * 1024 - 256;
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /**
     * The longest tail of the output, cut at a line start, whose encoded request body stays within {@code maxBodyBytes}.
     * Measured after JSON encoding: quotes, backslashes and control characters take 2 to 6 bytes each once escaped, so a
     * cap on the raw text could still send a body the API refuses (and the output would never be stored).
     */
    static String capped(String text, int maxBodyBytes) {
        if (encodedSize(text) <= maxBodyBytes) {
            return text;
        }
        int lo = 0;
        int hi = text.length();
        while (lo < hi) { // the first start whose tail fits: the encoded size only shrinks as the start moves right
            int mid = (lo + hi) >>> 1;
            if (encodedSize(text.substring(startAt(text, mid))) <= maxBodyBytes) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        String tail = text.substring(startAt(text, lo));
        int firstLine = tail.indexOf('\n');
        return firstLine >= 0 && firstLine + 1 < tail.length() ? tail.substring(firstLine + 1) : tail;
    }

    /** Never starts a tail in the middle of a surrogate pair. */
    private static int startAt(String text, int index) {
        return index > 0 && index < text.length() && Character.isLowSurrogate(text.charAt(index)) ? index + 1 : index;
    }

    static int encodedSize(String text) {
        try {
            return JSON.writeValueAsBytes(Map.of("text", text)).length;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private void sendLogs(Ledger.Entry e) {
        Optional<String> text = runtime.logs(e.sessionId, config.logLines()).map(t -> capped(t, MAX_LOGS_BODY_BYTES));
        if (text.isEmpty() || text.get().hashCode() == e.logsHash) {
            return;
        }
        ControlPlaneClient.Reply r = client.putLogs(e.sessionId, text.get());
        if (r.ok() || r.final4xx()) {
            synchronized (this) {
                e.logsHash = text.get().hashCode();
            }
        }
    }

    /** For status displays and tests: the sessions this agent holds and their states. */
    public synchronized Map<String, String> sessions() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Ledger.Entry> it = ledger.all().iterator(); it.hasNext(); ) {
            Ledger.Entry e = it.next();
            out.put(e.sessionId, e.state);
        }
        return out;
    }

    public String lastError() {
        return lastError;
    }

    public JsonNode lastAgentView() {
        return lastAgentView;
    }
}
