package dev.sluice.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.agent.protocol.Wire;
import dev.sluice.protocol.AgentReports;
import dev.sluice.protocol.SessionRuntimeFacts;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The step reports owed to the control plane, kept in the ledger entries (so they survive a restart) and sent with
 * the heartbeat: numbered per session, coalesced ({@code report.coalesce} after the first one queued since the last
 * heartbeat, the next heartbeat is due), packed within the body limit, and dropped once the control plane gave each
 * a final answer. Used under the loop's lock, except {@link #pack}.
 */
final class ReportQueue {
    /** The control plane keeps no more of a message. */
    private static final int MAX_MESSAGE = 2000;

    private final Ledger ledger;
    private final Clock clock;
    private final Duration coalesce;
    /** When the reports queued since the last heartbeat are due (null: none queued). */
    private Long dueAt;

    ReportQueue(Ledger ledger, Clock clock, Duration coalesce) {
        this.ledger = ledger;
        this.clock = clock;
        this.coalesce = coalesce;
    }

    /** A queued report put in a heartbeat, and the output carried with it (if it is the end's). */
    static final class Sent {
        private final LedgerEntry entry;
        private final LedgerEntry.Pending report;
        /** A session's current status said again only to carry its runtime facts: no step, nothing queued. */
        private final boolean factsOnly;
        private String logs;

        Sent(LedgerEntry entry, LedgerEntry.Pending report) {
            this(entry, report, false);
        }

        private Sent(LedgerEntry entry, LedgerEntry.Pending report, boolean factsOnly) {
            this.entry = entry;
            this.report = report;
            this.factsOnly = factsOnly;
        }

        /** A report that restates a session's status with its runtime facts ({@link LedgerEntry#restating}). */
        static Sent factsOnly(LedgerEntry entry, LedgerEntry.Pending report) {
            return new Sent(entry, report, true);
        }
    }

    /** Queues a step of {@code e}'s session, numbered for it; the first since the last heartbeat makes reports due. */
    void enqueue(LedgerEntry e, Map<String, Object> step) {
        e.enqueue(step);
        if (dueAt == null) {
            dueAt = clock.millis() + coalesce.toMillis();
        }
    }

    /** When queued reports are due (empty: none queued since the last heartbeat). */
    Optional<Long> dueAt() {
        return Optional.ofNullable(dueAt);
    }

    /** The oldest reports, at most {@link AgentReports#MAX_REPORTS}, to go with the heartbeat being sent. */
    List<Sent> take() {
        List<Sent> sent = new ArrayList<>();
        for (LedgerEntry e : ledger.all()) {
            for (LedgerEntry.Pending p : e.pending()) {
                if (sent.size() < AgentReports.MAX_REPORTS) {
                    sent.add(new Sent(e, p));
                }
            }
        }
        dueAt = null;
        return sent;
    }

    /**
     * After a heartbeat: a report queued meanwhile, or one that did not fit in it ({@code sentCount} went), makes the
     * next one due again.
     */
    void afterHeartbeat(int sentCount) {
        long queued = ledger.all().stream().mapToLong(e -> e.pending().size()).sum();
        if (queued > sentCount && dueAt == null) {
            dueAt = clock.millis() + coalesce.toMillis();
        }
    }

    /** Makes the reports still queued due again soon (some were answered to be sent again), unless due already. */
    void dueAgain() {
        if (!empty() && dueAt == null) {
            dueAt = clock.millis() + coalesce.toMillis();
        }
    }

    /** Whether every report is acknowledged. */
    boolean empty() {
        return ledger.all().stream().noneMatch(LedgerEntry::hasPending);
    }

    /**
     * The reports in the wire shape, as many as fit beside {@code body}: the rest stay in {@code sent} no more (they go
     * with the next heartbeat). A session's end carries its last output when the whole body stays within the limit;
     * when it would not, the output goes up on its own first ({@code PUT .../logs}), so the end is never reported
     * before its output is stored. Without {@code withFacts} (the control plane does not know them), each step goes
     * without its runtime facts, queued with them or not.
     */
    static List<Map<String, Object>> pack(Map<String, Object> body, List<Sent> sent, OutputUploader output,
            boolean withFacts) {
        List<Map<String, Object>> wire = new ArrayList<>();
        Map<String, Object> empty = new LinkedHashMap<>(body);
        empty.put(AgentReports.REPORTS, wire);
        int size = Wire.size(empty);
        int kept = 0;
        for (Sent s : sent) {
            Map<String, Object> step = new LinkedHashMap<>(s.report.step());
            if (step.get(AgentReports.MESSAGE) instanceof String m && m.length() > MAX_MESSAGE) {
                step.put(AgentReports.MESSAGE, m.substring(0, MAX_MESSAGE));
            }
            if (!withFacts) {
                step.remove(SessionRuntimeFacts.FIELD);
            }
            Map<String, Object> w = new AgentReports.Report(s.entry.sessionId(), s.report.seq(), step, Optional.empty()).toWire();
            int more = Wire.size(w) + 1;
            if (size + more > OutputUploader.MAX_LOGS_BODY_BYTES && kept > 0) {
                break;
            }
            wire.add(w);
            size += more;
            kept++;
        }
        sent.subList(kept, sent.size()).clear();
        for (int i = 0; i < sent.size(); i++) {
            Sent s = sent.get(i);
            if (!s.report.isEnd() || s.entry.removed()) {
                continue;
            }
            Optional<String> text = output.newOutput(s.entry);
            if (text.isEmpty()) {
                continue;
            }
            // ,"logs":"..." adds the encoded text less the {"text":} around it in an upload, plus the name
            int more = OutputUploader.encodedSize(text.get()) - "{\"text\":}".length() + ",\"logs\":".length();
            if (size + more <= OutputUploader.MAX_LOGS_BODY_BYTES) {
                wire.get(i).put(AgentReports.LOGS, text.get());
                s.logs = text.get();
                size += more;
            } else {
                output.send(s.entry);
            }
        }
        return wire;
    }

    /**
     * Whether a heartbeat was refused because it carried {@code reports}: a control plane before agent 0.2.0 answers
     * 422 naming the field as unknown ({@code reports is not a known field; ...}).
     */
    static boolean refusedAsUnknown(ControlPlaneClient.Reply reply) {
        if (reply.status() != 422 || reply.body() == null) {
            return false;
        }
        JsonNode error = reply.body().path("error");
        return AgentReports.REPORTS.equals(error.path("field").asText()) && error.path("message").asText().contains("not a known field");
    }

    /** {@code runtime} (or {@code reports[0].runtime}) {@code is not a known field}, as a control plane's field check says. */
    private static final Pattern FACTS_UNKNOWN = Pattern.compile("(^|[.\\s])" + Pattern.quote(SessionRuntimeFacts.FIELD)
            + " is not a known field");

    /**
     * Whether a report was refused because it carried runtime facts: a control plane that takes {@code reports} but
     * predates the facts answers it {@code invalid}, naming the field as unknown
     * ({@code reports[0].runtime is not a known field; the known fields are [...]}).
     */
    static boolean refusedFacts(AgentReports.Result result) {
        return result.outcome() == AgentReports.Outcome.INVALID
                && result.message().map(m -> FACTS_UNKNOWN.matcher(m).find()).orElse(false);
    }

    /**
     * The reports one at a time, in order, to the per-step status endpoint of a control plane before agent 0.2.0, an
     * end's output uploaded first ({@code PUT .../logs}) as agents did then; a session whose step is to be sent again
     * keeps its later steps back. One result per report, as a heartbeat answers them: 2xx applied, 409 refused (the
     * agent follows the control plane), 404 not found, 400/413/422 invalid, anything else (or no answer) retry. That
     * endpoint knows no runtime facts: each step goes without them, and a report that only restates a status to carry
     * them is not sent at all (answered unchanged, so it is not kept).
     */
    static List<AgentReports.Result> sendEach(List<Sent> sent, ControlPlaneClient client, OutputUploader output) {
        List<AgentReports.Result> results = new ArrayList<>();
        Set<String> waiting = new HashSet<>();
        for (Sent s : sent) {
            String id = s.entry.sessionId();
            s.logs = null;
            if (s.factsOnly) {
                results.add(new AgentReports.Result(id, s.report.seq(), AgentReports.Outcome.UNCHANGED, Optional.empty(),
                        Optional.of("runtime facts alone are not sent to a control plane before agent 0.2.0")));
                continue;
            }
            if (waiting.contains(id)) {
                results.add(new AgentReports.Result(id, s.report.seq(), AgentReports.Outcome.RETRY, Optional.empty(), Optional.empty()));
                continue;
            }
            if (s.report.isEnd() && !s.entry.removed()) {
                output.send(s.entry);
            }
            Map<String, Object> step = new LinkedHashMap<>(s.report.step());
            if (step.get(AgentReports.MESSAGE) instanceof String m && m.length() > MAX_MESSAGE) {
                step.put(AgentReports.MESSAGE, m.substring(0, MAX_MESSAGE));
            }
            step.remove(SessionRuntimeFacts.FIELD); // its step fields are fixed: it refuses any other
            ControlPlaneClient.Reply r = client.status(id, step);
            AgentReports.Outcome outcome = r.ok() ? AgentReports.Outcome.APPLIED
                    : r.status() == 409 ? AgentReports.Outcome.REFUSED
                    : r.status() == 404 ? AgentReports.Outcome.NOT_FOUND
                    : r.status() == 400 || r.status() == 413 || r.status() == 422 ? AgentReports.Outcome.INVALID
                    : AgentReports.Outcome.RETRY;
            if (outcome == AgentReports.Outcome.RETRY) {
                waiting.add(id);
            }
            Optional<String> message = r.ok() || r.body() == null ? Optional.empty()
                    : Optional.of(r.body().path("error").path("message").asText("status answered " + r.status()));
            results.add(new AgentReports.Result(id, s.report.seq(), outcome, Optional.empty(), message));
        }
        return results;
    }

    /**
     * Drops each report the control plane answered for with a final outcome (applied, unchanged, refused, not found,
     * invalid); keeps those it asks again ({@code retry}) or did not answer for. Returns what it refused, if anything.
     */
    Optional<String> acknowledge(List<Sent> sent, List<AgentReports.Result> results) {
        Map<String, AgentReports.Outcome> outcomes = new HashMap<>();
        String refused = null;
        for (AgentReports.Result result : results) {
            outcomes.put(result.sessionId() + "#" + result.seq(), result.outcome());
            if (result.outcome() == AgentReports.Outcome.REFUSED || result.outcome() == AgentReports.Outcome.INVALID) {
                refused = "report of " + result.sessionId() + " " + result.outcome().wireName() + ": " + result.message().orElse("");
            }
        }
        for (Sent s : sent) {
            AgentReports.Outcome o = outcomes.get(s.entry.sessionId() + "#" + s.report.seq());
            if (o == null || o.retry()) {
                continue;
            }
            s.entry.acknowledged(s.report);
            if (s.logs != null) {
                s.entry.outputSent(s.logs.hashCode());
            }
        }
        return Optional.ofNullable(refused);
    }
}
