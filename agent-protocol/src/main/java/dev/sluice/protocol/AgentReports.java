package dev.sluice.protocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The agent's step reports as they ride its heartbeat: the one definition of their wire shape, used by the agent to
 * write them and by the control plane to read them (and the other way round for the answers). Plain maps in and out,
 * so that each side serializes with its own JSON library; no dependencies.
 *
 * <p>A heartbeat body may carry {@value #REPORTS}: a list of {@link Report}s, each one step of one session
 * ({@code session_id}, a {@code seq} the agent numbers per session, the step's fields as the status endpoint takes
 * them, and for the session's end optionally its last output as {@code logs}). The answer carries
 * {@value #RESULTS}: one {@link Result} per report, in order, saying what became of it. Only {@link Outcome#RETRY}
 * asks the agent to send the report again; every other outcome is final and the report is dropped.
 */
public final class AgentReports {
    /** The heartbeat body's list of reports. */
    public static final String REPORTS = "reports";
    /** The heartbeat answer's list of results, one per report, in the same order. */
    public static final String RESULTS = "report_results";
    public static final String SESSION_ID = "session_id";
    public static final String SEQ = "seq";
    public static final String STATUS = "status";
    public static final String LOGS = "logs";
    public static final String OUTCOME = "outcome";
    public static final String MESSAGE = "message";
    /** At most this many reports in one heartbeat; the agent sends the rest with the next one. */
    public static final int MAX_REPORTS = 100;

    private AgentReports() {
    }

    /**
     * One step of one session.
     *
     * @param seq  numbered by the agent per session, from 1, in the order of the steps (a retried report keeps its number)
     * @param step the step's fields: {@code status}, and {@code exit_code}, {@code reason}, {@code message},
     *             {@code container_id}, {@code devices} as the step needs them
     * @param logs the session's last output, only with the report of its end
     */
    public record Report(String sessionId, long seq, Map<String, Object> step, Optional<String> logs) {
        public Report {
            step = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(step));
        }

        public Map<String, Object> toWire() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put(SESSION_ID, sessionId);
            m.put(SEQ, seq);
            m.putAll(step);
            logs.ifPresent(l -> m.put(LOGS, l));
            return m;
        }

        /** Reads one report; a malformed one is refused with the field and the rule, as a sentence. */
        public static Report fromWire(Object wire) {
            if (!(wire instanceof Map<?, ?> raw)) {
                throw new Malformed(REPORTS, "Each report must be a JSON object.");
            }
            Map<String, Object> m = new LinkedHashMap<>();
            raw.forEach((k, v) -> m.put(String.valueOf(k), v));
            Object id = m.remove(SESSION_ID);
            if (!(id instanceof String s) || s.isEmpty()) {
                throw new Malformed(SESSION_ID, "Each report must name its session in session_id (a string).");
            }
            Object seq = m.remove(SEQ);
            if (!(seq instanceof Number n) || n.longValue() < 1 || n.doubleValue() != n.longValue()) {
                throw new Malformed(SEQ, "Each report must carry seq, a whole number of at least 1.");
            }
            Object logs = m.remove(LOGS);
            if (logs != null && !(logs instanceof String)) {
                throw new Malformed(LOGS, "The logs of a report must be a string.");
            }
            return new Report(s, n.longValue(), m, Optional.ofNullable((String) logs));
        }
    }

    /** What the control plane did with a report. */
    public enum Outcome {
        /** Written. */
        APPLIED,
        /** The session already was so (a retried report): nothing written. */
        UNCHANGED,
        /** The step cannot follow the session's current status (named in the result); the agent follows the control plane. */
        REFUSED,
        /** No such session on this agent. */
        NOT_FOUND,
        /** The report itself is malformed (the message names the field). */
        INVALID,
        /** Not applied this time (the session kept changing, or a store error): send it again. */
        RETRY;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Outcome fromWire(String name) {
            return Outcome.valueOf(name.toUpperCase(Locale.ROOT));
        }

        /** True when the agent must keep the report and send it again; every other outcome is final. */
        public boolean retry() {
            return this == RETRY;
        }
    }

    /** The answer to one report: its session and seq, what became of it, the session's status after it, and why. */
    public record Result(String sessionId, long seq, Outcome outcome, Optional<String> status, Optional<String> message) {
        public Map<String, Object> toWire() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put(SESSION_ID, sessionId);
            m.put(SEQ, seq);
            m.put(OUTCOME, outcome.wireName());
            status.ifPresent(s -> m.put(STATUS, s));
            message.ifPresent(s -> m.put(MESSAGE, s));
            return m;
        }

        public static Result fromWire(Map<String, Object> m) {
            return new Result(String.valueOf(m.get(SESSION_ID)), ((Number) m.get(SEQ)).longValue(),
                    Outcome.fromWire(String.valueOf(m.get(OUTCOME))),
                    Optional.ofNullable(m.get(STATUS)).map(String::valueOf), Optional.ofNullable(m.get(MESSAGE)).map(String::valueOf));
        }
    }

    /** The reports of a heartbeat body ({@code null} or absent: none). The list itself must be a list of at most {@link #MAX_REPORTS}. */
    public static List<Object> reportsOf(Map<String, Object> heartbeat) {
        Object reports = heartbeat.get(REPORTS);
        if (reports == null) {
            return List.of();
        }
        if (!(reports instanceof List<?> list)) {
            throw new Malformed(REPORTS, "reports must be a list of step reports.");
        }
        if (list.size() > MAX_REPORTS) {
            throw new Malformed(REPORTS, "reports may hold at most " + MAX_REPORTS + " reports; send the rest with the next heartbeat.");
        }
        return new ArrayList<>(list);
    }

    /** A report, or the list of them, that does not have the shape above. */
    public static final class Malformed extends IllegalArgumentException {
        private final String field;

        public Malformed(String field, String message) {
            super(message);
            this.field = field;
        }

        public String field() {
            return field;
        }
    }
}
