package dev.sluice.protocol;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A spot interruption as both sides name it: the one definition of its wire shape in the heartbeat answer, of the
 * step report that ends an interrupted session, and of what a workload is told (its deadline file). Plain maps in and
 * out, no dependencies.
 *
 * <p><b>Heartbeat answer.</b> When the control plane recorded an interruption warning for the agent (EventBridge's
 * {@code EC2 Spot Instance Interruption Warning}), the answer carries {@value #FIELD}:
 * {@code {"deadline": "2026-12-03T18:02:00Z", "source": "spot-interruption-warning"}}: the instance goes at the
 * deadline. A rebalance recommendation only drains the agent: it has no deadline and is not in the answer.
 *
 * <p><b>End report.</b> An interrupted session ends with {@code status ERROR}, {@code reason} {@value #STATUS_INFO}
 * and {@value #REPORT_FIELD}: {@code {"source", "deadline", "signaled_at"}} (the control plane keeps them in the
 * session's status_data as {@code interruption_source}, {@code deadline}, {@code signaled_at}).
 *
 * <p><b>Workload.</b> Every workload gets {@value #DEADLINE_FILE_ENV} at start: a path it can read (absent until an
 * interruption). At an interruption the agent writes it (atomically) before SIGTERM: lines {@code KEY=value} that a
 * shell can source ({@code . "$SLUICE_DEADLINE_FILE"}) and a dotenv reader can parse: {@value #DEADLINE_ENV} (ISO-8601
 * UTC), {@value #DEADLINE_EPOCH_ENV} (epoch seconds) and {@value #SOURCE_ENV}.
 */
public final class AgentInterruption {
    /** The heartbeat answer's field. */
    public static final String FIELD = "interruption";
    public static final String DEADLINE = "deadline";
    public static final String SOURCE = "source";
    public static final String SIGNALED_AT = "signaled_at";
    /** The end report's field carrying the interruption's facts. */
    public static final String REPORT_FIELD = "interruption";
    /** The reason (and so the status_info) of a session ended by an interruption. */
    public static final String STATUS_INFO = "spot-interrupted";
    /** Sources: EventBridge's warning (through the heartbeat answer), the instance's own metadata service. */
    public static final String SOURCE_WARNING = "spot-interruption-warning";
    public static final String SOURCE_IMDS = "imds";
    /** A rebalance recommendation: drain only, no deadline (never sent to the agent). */
    public static final String SOURCE_REBALANCE = "rebalance-recommendation";
    /** The workload's environment: where its deadline is written at an interruption. */
    public static final String DEADLINE_FILE_ENV = "SLUICE_DEADLINE_FILE";
    /** Keys of the deadline file. */
    public static final String DEADLINE_ENV = "SLUICE_DEADLINE";
    public static final String DEADLINE_EPOCH_ENV = "SLUICE_DEADLINE_EPOCH";
    public static final String SOURCE_ENV = "SLUICE_INTERRUPTION_SOURCE";
    /** A spot instance is reclaimed two minutes after the warning. */
    public static final java.time.Duration WARNING_LEAD = java.time.Duration.ofMinutes(2);

    private AgentInterruption() {
    }

    /** The instance goes at {@code deadline}; {@code source} says who said so. */
    public record Notice(Instant deadline, String source) {
        public Notice {
            java.util.Objects.requireNonNull(deadline, "deadline");
            java.util.Objects.requireNonNull(source, "source");
        }

        public Map<String, Object> toWire() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put(DEADLINE, deadline.toString());
            m.put(SOURCE, source);
            return m;
        }

        /** Reads the heartbeat answer's field; absent, not an object, or without a readable deadline: none. */
        public static Optional<Notice> fromWire(Object wire) {
            if (!(wire instanceof Map<?, ?> m)) {
                return Optional.empty();
            }
            Object deadline = m.get(DEADLINE);
            Object source = m.get(SOURCE);
            if (!(deadline instanceof String d)) {
                return Optional.empty();
            }
            try {
                return Optional.of(new Notice(Instant.parse(d), source instanceof String s && !s.isEmpty() ? s : SOURCE_WARNING));
            } catch (DateTimeParseException e) {
                return Optional.empty();
            }
        }

        /** The deadline file's text (see the class comment). */
        public String deadlineFile() {
            return DEADLINE_ENV + "=" + deadline + "\n"
                    + DEADLINE_EPOCH_ENV + "=" + deadline.getEpochSecond() + "\n"
                    + SOURCE_ENV + "=" + source + "\n";
        }

        /** The end report's {@value #REPORT_FIELD} for a session signalled at {@code signaledAt}. */
        public Map<String, Object> reportField(Instant signaledAt) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put(SOURCE, source);
            m.put(DEADLINE, deadline.toString());
            m.put(SIGNALED_AT, signaledAt.toString());
            return m;
        }
    }

    /**
     * The IMDS {@code spot/instance-action} document, {@code {"action":"terminate","time":"2026-12-03T18:02:00Z"}}: an
     * interruption at {@code time} for the actions that end the instance ({@code terminate}, {@code stop},
     * {@code hibernate}); anything else, none.
     */
    public static Optional<Notice> fromInstanceAction(Map<String, Object> doc) {
        Object action = doc.get("action");
        Object time = doc.get("time");
        if (!(action instanceof String a) || !(a.equals("terminate") || a.equals("stop") || a.equals("hibernate"))
                || !(time instanceof String t)) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Notice(Instant.parse(t), SOURCE_IMDS));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** The facts of an end report's {@value #REPORT_FIELD}, each as a string; a malformed field is refused as a sentence. */
    public static Map<String, String> reportFactsOf(Object wire) {
        if (!(wire instanceof Map<?, ?> m)) {
            throw new AgentReports.Malformed(REPORT_FIELD, "interruption must be an object with source, deadline and signaled_at.");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (String key : new String[] {SOURCE, DEADLINE, SIGNALED_AT}) {
            Object v = m.get(key);
            if (!(v instanceof String s) || s.isEmpty() || s.length() > 64) {
                throw new AgentReports.Malformed(REPORT_FIELD, "interruption." + key + " must be a string of 1 to 64 characters.");
            }
            out.put(key, s);
        }
        for (Object k : m.keySet()) {
            if (!out.containsKey(String.valueOf(k))) {
                throw new AgentReports.Malformed(REPORT_FIELD, "interruption." + k + " is not a field of an interruption; it takes "
                        + "source, deadline and signaled_at.");
            }
        }
        return out;
    }
}
