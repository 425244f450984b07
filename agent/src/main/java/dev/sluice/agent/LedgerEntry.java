package dev.sluice.agent;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.sluice.protocol.AgentReports;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One session on this agent: a small state machine ({@link State}) and what it still owes the control plane. Every
 * change goes through a method here, which checks it is allowed; the ledger file stores it as {@link Stored}, the
 * shape agents have always written, so a restarted (or upgraded) agent reads what the last one left.
 */
final class LedgerEntry {

    /** Where a session is on this agent. {@link #ENDED} is final. */
    enum State {
        /** Taken on; the runtime has not said anything yet. */
        STARTING,
        PULLING,
        PREPARING,
        RUNNING,
        ENDED;

        boolean active() {
            return this != ENDED;
        }

        /** Whether a session in this state may step to {@code next}: forward through the start, then only to its end. */
        boolean mayBecome(State next) {
            return switch (this) {
                case STARTING, PULLING, PREPARING -> next != STARTING;
                case RUNNING -> next == ENDED;
                case ENDED -> false;
            };
        }

        /** As the heartbeat's list of what runs says it: a session not started yet is still SCHEDULED there. */
        String heartbeatStatus() {
            return this == STARTING ? "SCHEDULED" : name();
        }

        /** A state as the ledger file or the control plane names it; an unknown name reads as RUNNING (something runs). */
        static State named(String name) {
            if (name == null) {
                return STARTING;
            }
            try {
                return valueOf(name);
            } catch (IllegalArgumentException unknown) {
                return RUNNING;
            }
        }
    }

    /** A report not yet acknowledged: its number for its session and the step's fields. */
    record Pending(long seq, Map<String, Object> step) {
        Pending {
            step = Collections.unmodifiableMap(new LinkedHashMap<>(step));
        }

        String status() {
            return String.valueOf(step.get(AgentReports.STATUS));
        }

        /** Whether it reports the session's end (not one of the steps towards running). */
        boolean isEnd() {
            return !"PULLING PREPARING RUNNING".contains(status());
        }
    }

    private final String sessionId;
    private final String kernelId;
    private final String type;
    private final Long batchTimeoutSeconds;
    private State state;
    private List<String> gpus = List.of();
    private Long runningSince;
    private Long endedAt;
    private boolean stopRequested;
    private Long stopRequestedAt;
    /** The step that ended it, kept to be said again if the control plane still waits for it. */
    private Map<String, Object> lastEnd;
    private boolean timedOut;
    private boolean removed;
    private int logsHash;
    /** The seq of this session's next report (numbered from 1; a retried report keeps its number). */
    private long nextSeq;
    /** Reports not yet acknowledged, oldest first. */
    private final List<Pending> pending = new ArrayList<>();

    private LedgerEntry(String sessionId, String kernelId, String type, Long batchTimeoutSeconds, State state, long nextSeq) {
        this.sessionId = Objects.requireNonNull(sessionId);
        this.kernelId = kernelId;
        this.type = type;
        this.batchTimeoutSeconds = batchTimeoutSeconds;
        this.state = state;
        this.nextSeq = nextSeq;
    }

    /** A session assigned to this agent, to be started here. */
    static LedgerEntry assigned(String sessionId, String kernelId, String type, Long batchTimeoutSeconds) {
        return new LedgerEntry(sessionId, kernelId, type, batchTimeoutSeconds, State.STARTING, 1);
    }

    /** A session found running on the host that the ledger did not know (taken on again in {@code state}). */
    static LedgerEntry adopted(String sessionId, String kernelId, String type, Long batchTimeoutSeconds, State state, long now) {
        LedgerEntry e = new LedgerEntry(sessionId, kernelId, type, batchTimeoutSeconds, state, 1);
        e.runningSince = now;
        return e;
    }

    String sessionId() {
        return sessionId;
    }

    State state() {
        return state;
    }

    boolean active() {
        return state.active();
    }

    List<String> gpus() {
        return gpus;
    }

    boolean removed() {
        return removed;
    }

    boolean stopRequested() {
        return stopRequested;
    }

    int logsHash() {
        return logsHash;
    }

    List<Pending> pending() {
        return List.copyOf(pending);
    }

    boolean hasPending() {
        return !pending.isEmpty();
    }

    /** Ended, every report acknowledged, its workload removed, and that more than {@code keepMillis} ago. */
    /** Ended, its end reported (nothing left to send) and its workload cleaned up: nothing of it remains here. */
    boolean settled() {
        return !active() && pending.isEmpty() && removed;
    }

    boolean forgettable(long now, long keepMillis) {
        return !active() && pending.isEmpty() && removed && endedAt != null && endedAt + keepMillis < now;
    }

    /** The GPUs allocated to it, once, before it starts. */
    void allocate(List<String> devices) {
        if (state != State.STARTING) {
            throw new IllegalStateException("GPUs are allocated before a session starts; " + sessionId + " is " + state);
        }
        gpus = List.copyOf(devices);
    }

    /** Whether the runtime's step {@code next} applies (a step after the end, or backwards, is ignored). */
    boolean accepts(State next) {
        return state.mayBecome(next);
    }

    /** A step towards running, as the runtime said it. */
    void step(State next, long now) {
        if (next == State.ENDED || !state.mayBecome(next)) {
            throw new IllegalStateException(sessionId + " cannot go from " + state + " to " + next);
        }
        state = next;
        if (next == State.RUNNING && runningSince == null) {
            runningSince = now;
        }
    }

    /**
     * The end. {@code workloadLeft}: the runtime ran it, so its remains are removed later and its end is kept to be
     * said again; otherwise nothing of it is on the host (it never started here, or vanished) and there is nothing to
     * remove.
     */
    void end(long now, boolean workloadLeft) {
        if (!state.mayBecome(State.ENDED)) {
            throw new IllegalStateException(sessionId + " has already ended");
        }
        if (workloadLeft) {
            lastEnd = new LinkedHashMap<>(pending.get(pending.size() - 1).step());
        } else {
            removed = true;
        }
        state = State.ENDED;
        endedAt = now;
    }

    /** Whether the first stop is still to be asked for: an active session not yet told to stop. */
    boolean firstStop(long now) {
        if (!active() || stopRequested) {
            return false;
        }
        stopRequested = true;
        stopRequestedAt = now;
        return true;
    }

    /** Whether a stop asked for more than {@code patienceMillis} ago is due again (and notes it asked now). */
    boolean stopAgain(long now, long patienceMillis) {
        if (!active() || stopRequestedAt == null || now - stopRequestedAt <= patienceMillis) {
            return false;
        }
        stopRequestedAt = now;
        return true;
    }

    /** Whether a running batch session is past its timeout now (and notes it timed out: it is stopped once). */
    boolean timesOut(long now) {
        if (state != State.RUNNING || timedOut || batchTimeoutSeconds == null || runningSince == null
                || runningSince + batchTimeoutSeconds * 1000 > now) {
            return false;
        }
        timedOut = true;
        return true;
    }

    /** Why a workload that exited ended: timed out, stopped as asked, or neither. */
    String endReason() {
        return timedOut ? "task-timeout" : stopRequested ? "user-requested" : null;
    }

    /** The end to say again when the control plane still waits for it (ended here, nothing queued), if any. */
    java.util.Optional<Map<String, Object>> endToRepeat() {
        return !active() && pending.isEmpty() && lastEnd != null ? java.util.Optional.of(new LinkedHashMap<>(lastEnd))
                : java.util.Optional.empty();
    }

    /** Queues a report, numbered for this session. */
    Pending enqueue(Map<String, Object> step) {
        Pending p = new Pending(nextSeq++, step);
        pending.add(p);
        return p;
    }

    /**
     * A report that says the current step again with new fields (runtime facts), numbered as the last report and not
     * queued: it is sent once, with no retry, and acknowledging it drops nothing. Empty before any report.
     */
    java.util.Optional<Pending> restating(Map<String, Object> step) {
        return nextSeq > 1 ? java.util.Optional.of(new Pending(nextSeq - 1, step)) : java.util.Optional.empty();
    }

    /** Drops a report the control plane gave a final answer for. */
    void acknowledged(Pending p) {
        pending.remove(p);
    }

    void removedFromHost() {
        removed = true;
    }

    void outputSent(int hash) {
        logsHash = hash;
    }

    /** The ledger file's shape of an entry (field names and state names as agents have always written them). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Stored(String sessionId, String kernelId, String type, Long batchTimeoutSeconds, String state, List<String> gpus,
                  Long runningSince, Long endedAt, boolean stopRequested, Long stopRequestedAt, Map<String, Object> lastEnd,
                  boolean timedOut, boolean removed, int logsHash, Long nextSeq, List<Map<String, Object>> pending) {
    }

    Stored stored() {
        List<Map<String, Object>> reports = new ArrayList<>();
        for (Pending p : pending) {
            Map<String, Object> r = new LinkedHashMap<>(p.step());
            r.put(AgentReports.SEQ, p.seq());
            reports.add(r);
        }
        return new Stored(sessionId, kernelId, type, batchTimeoutSeconds, state.name(), gpus, runningSince, endedAt, stopRequested,
                stopRequestedAt, lastEnd, timedOut, removed, logsHash, nextSeq, reports);
    }

    /** An entry as a ledger file holds it; reports queued by an agent before 0.2.0 (which numbered none) are numbered now, in order. */
    static LedgerEntry of(Stored s) {
        LedgerEntry e = new LedgerEntry(s.sessionId(), s.kernelId(), s.type(), s.batchTimeoutSeconds(), State.named(s.state()),
                s.nextSeq() == null ? 1 : s.nextSeq());
        e.gpus = s.gpus() == null ? List.of() : List.copyOf(s.gpus());
        e.runningSince = s.runningSince();
        e.endedAt = s.endedAt();
        e.stopRequested = s.stopRequested();
        e.stopRequestedAt = s.stopRequestedAt();
        if (s.lastEnd() != null) {
            e.lastEnd = new LinkedHashMap<>(s.lastEnd());
            e.lastEnd.remove(AgentReports.SEQ);
        }
        e.timedOut = s.timedOut();
        e.removed = s.removed();
        e.logsHash = s.logsHash();
        for (Map<String, Object> r : s.pending() == null ? List.<Map<String, Object>>of() : s.pending()) {
            Map<String, Object> step = new LinkedHashMap<>(r);
            Object seq = step.remove(AgentReports.SEQ);
            e.pending.add(new Pending(seq instanceof Number n ? n.longValue() : e.nextSeq++, step));
        }
        return e;
    }
}
