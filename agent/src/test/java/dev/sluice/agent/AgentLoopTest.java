package dev.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.agent.runtime.SessionRuntime;
import dev.sluice.protocol.AgentReports;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's loop against a scripted control plane and a scripted runtime: no network, no processes. */
class AgentLoopTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path work;

    /** Records every call; answers heartbeats with what the test sets. */
    static final class FakeControlPlane implements ControlPlaneClient {
        final List<Map<String, Object>> heartbeats = new ArrayList<>();
        final List<String> reports = new ArrayList<>();
        final Map<String, String> logs = new ConcurrentHashMap<>();
        JsonNode nextReply = JSON.createObjectNode();
        /** The heartbeat's HTTP status (0: the answer is lost after the reports were taken). */
        int heartbeatStatus = 200;
        /** What the control plane answers for each report. */
        AgentReports.Outcome outcome = AgentReports.Outcome.APPLIED;

        @Override
        @SuppressWarnings("unchecked")
        public synchronized Reply heartbeat(Map<String, Object> body) {
            heartbeats.add(body);
            if (before020 && body.containsKey(AgentReports.REPORTS)) {
                // What a control plane before 0.2.0 answers: its heartbeat knows no reports field.
                return new Reply(422, JSON.valueToTree(Map.of("error", Map.of("code", "invalid_field", "field", "reports",
                        "message", "reports is not a known field; the known fields are [architecture, available_slots, "
                                + "compute_plugins, resource_group, running, version]"))));
            }
            if (heartbeatStatus != 200) {
                return new Reply(heartbeatStatus, JSON.createObjectNode());
            }
            com.fasterxml.jackson.databind.node.ObjectNode answer = nextReply.deepCopy();
            com.fasterxml.jackson.databind.node.ArrayNode results = answer.putArray(AgentReports.RESULTS);
            List<Object> sentReports = (List<Object>) body.getOrDefault(AgentReports.REPORTS, List.of());
            for (int i = 0; i < sentReports.size(); i++) {
                AgentReports.Report r = AgentReports.Report.fromWire(sentReports.get(i));
                if (factsUnknown && r.step().containsKey(dev.sluice.protocol.SessionRuntimeFacts.FIELD)) {
                    // What a control plane that takes reports but predates the facts answers (RequestFields.refuseUnknown).
                    results.add(JSON.valueToTree(new AgentReports.Result(r.sessionId(), r.seq(), AgentReports.Outcome.INVALID,
                            Optional.empty(), Optional.of("reports[" + i + "].runtime is not a known field; the known fields are "
                                    + "[container_id, devices, exit_code, message, reason, status].")).toWire()));
                    continue;
                }
                if (outcome == AgentReports.Outcome.APPLIED) {
                    Map<String, Object> step = r.step();
                    reports.add(r.sessionId() + ":" + step.get("status") + (step.containsKey("exit_code") ? ":" + step.get("exit_code") : "")
                            + (step.containsKey("reason") ? ":" + step.get("reason") : ""));
                    r.logs().ifPresent(l -> logs.put(r.sessionId(), l));
                }
                results.add(JSON.valueToTree(new AgentReports.Result(r.sessionId(), r.seq(), outcome, Optional.empty(), Optional.empty()).toWire()));
            }
            return new Reply(200, answer);
        }

        /** The reports of every heartbeat sent, as session:STATUS, whatever the answer. */
        @SuppressWarnings("unchecked")
        synchronized List<String> sent() {
            List<String> out = new ArrayList<>();
            for (Map<String, Object> hb : heartbeats) {
                for (Object wire : (List<Object>) hb.getOrDefault(AgentReports.REPORTS, List.of())) {
                    AgentReports.Report r = AgentReports.Report.fromWire(wire);
                    out.add(r.sessionId() + ":" + r.step().get("status") + "#" + r.seq());
                }
            }
            return out;
        }

        final List<String> uploads = new ArrayList<>();
        /** A control plane before 0.2.0: it refuses {@code reports} and takes each step at the status endpoint. */
        boolean before020;
        /** A control plane that takes reports but not runtime facts: a report with them is answered invalid. */
        boolean factsUnknown;
        /** The step fields the status endpoint of a control plane before 0.2.0 knows; it refuses any other. */
        static final java.util.Set<String> STATUS_FIELDS = java.util.Set.of("status", "exit_code", "reason", "message",
                "container_id", "devices");
        /** What the status endpoint saw, in order (uploads too, as "logs:session"). */
        final List<String> calls = new ArrayList<>();
        int statusAnswer = 200;

        @Override
        public synchronized Reply status(String sessionId, Map<String, Object> step) {
            calls.add(sessionId + ":" + step.get("status"));
            for (String field : step.keySet()) {
                if (!STATUS_FIELDS.contains(field)) {
                    return new Reply(422, JSON.valueToTree(Map.of("error", Map.of("code", "invalid_field", "field", field,
                            "message", field + " is not a known field; the known fields are " + new java.util.TreeSet<>(STATUS_FIELDS) + "."))));
                }
            }
            if (statusAnswer == 200) {
                reports.add(sessionId + ":" + step.get("status") + (step.containsKey("exit_code") ? ":" + step.get("exit_code") : "")
                        + (step.containsKey("reason") ? ":" + step.get("reason") : ""));
            }
            return new Reply(statusAnswer, statusAnswer == 200 ? JSON.createObjectNode()
                    : JSON.valueToTree(Map.of("error", Map.of("code", "conflict", "message", "refused"))));
        }

        @Override
        public synchronized Reply putLogs(String sessionId, String text) {
            uploads.add(sessionId);
            calls.add("logs:" + sessionId);
            logs.put(sessionId, text);
            return new Reply(200, JSON.createObjectNode());
        }

        @Override
        public Reply mountFiles(String sessionId, String mount, Optional<String> cursor) {
            return new Reply(404, JSON.createObjectNode());
        }

        @Override
        public Reply mountUpload(String sessionId, String mount, String path, long size) {
            return new Reply(404, JSON.createObjectNode());
        }
    }

    /** Starts nothing: the test drives each workload's listener by hand. */
    static final class FakeRuntime implements SessionRuntime {
        final Map<String, Listener> started = new ConcurrentHashMap<>();
        final List<String> starts = new ArrayList<>();
        final List<String> stops = new ArrayList<>();
        final List<String> removed = new ArrayList<>();
        final List<Workload> onDisk = new ArrayList<>();
        final List<Assignment> assignments = new ArrayList<>();

        @Override public String name() { return "fake"; }

        /** Starts stay PULLING until the test moves them on. */
        boolean pullOnly;

        @Override
        public synchronized void start(Assignment a, Listener listener) {
            starts.add(a.sessionId());
            assignments.add(a);
            started.put(a.sessionId(), listener);
            if (pullOnly) {
                listener.pulling();
                return;
            }
            listener.preparing();
            listener.running("pid-" + a.sessionId(), Map.of());
        }

        @Override public synchronized void stop(String sessionId, Duration grace) {
            stops.add(sessionId);
            Listener l = started.get(sessionId);
            if (l != null) {
                l.exited(143);
            }
        }

        @Override public List<Workload> discover() { return onDisk; }

        final List<String> reattached = new ArrayList<>();

        @Override public void reattach(String sessionId, Listener listener) {
            reattached.add(sessionId);
            started.put(sessionId, listener);
        }

        boolean removeFails;

        @Override public synchronized void remove(String sessionId) {
            if (removeFails) {
                throw new IllegalStateException("docker rm: device or resource busy");
            }
            removed.add(sessionId);
        }

        String output;

        @Override public Optional<String> logs(String sessionId, int lines) {
            return Optional.of(output != null ? output : "out of " + sessionId);
        }
    }

    static final class MutableClock extends Clock {
        Instant now = Instant.parse("2026-11-25T10:00:00Z");
        @Override public java.time.ZoneId getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(java.time.ZoneId zone) { return this; }
        @Override public Instant instant() { return now; }
    }

    private final FakeControlPlane cp = new FakeControlPlane();
    private final FakeRuntime runtime = new FakeRuntime();
    private final MutableClock clock = new MutableClock();

    private AgentLoop loop() throws Exception {
        AgentConfig config = AgentConfig.from(Map.of("api.endpoint", "http://127.0.0.1:1", "resource.group", "g1", "auth", "token",
                "auth.token.file", work.resolve("t").toString(), "runtime", "process", "work.dir", work.toString(),
                "heartbeat.interval", "1s", "stop.grace", "0s"));
        AgentLoop loop = new AgentLoop(config, "i-1", new Capacity(Map.of("cpu", "4", "mem", "8g", "cuda.device", "2"), Map.of(),
                "x86_64", List.of("GPU-a", "GPU-b")), cp, runtime, clock);
        loop.recover();
        return loop;
    }

    static JsonNode reply(String json) throws Exception {
        return JSON.readTree(json.replace('\'', '"'));
    }

    static String assignment(String id, String type, String extra) {
        return "{'session_id':'" + id + "','kernel_id':'" + id + "-0','type':'" + type + "','status':'SCHEDULED','image':'x',"
                + "'slots':{'cpu':'1','cuda.device':'1'},'environment':{},'mounts':[],'cluster_role':'main','cluster_index':0" + extra + "}";
    }

    /** The stop runs on a thread of its own: wait until the workload's end has reached the loop. */
    private static void awaitEnded(AgentLoop loop, String id) throws InterruptedException {
        for (int i = 0; i < 250 && !"ENDED".equals(loop.sessions().get(id)); i++) {
            Thread.sleep(20);
        }
        assertThat(loop.sessions().get(id)).as("session " + id + " ended within 5 s").isEqualTo("ENDED");
    }

    @Test
    void theSameAnswerTwiceStartsEachSessionOnceAndGpusAreNotSharedOut() throws Exception {
        AgentLoop loop = loop();
        JsonNode r = reply("{'heartbeat_interval':5,'assignments':[" + assignment("s-1", "interactive", "") + ","
                + assignment("s-2", "interactive", "") + "],'terminate':[]}");
        loop.handle(r);
        loop.handle(r);
        assertThat(runtime.starts).containsExactly("s-1", "s-2");
        assertThat(runtime.assignments.get(0).gpus()).containsExactly("GPU-a");
        assertThat(runtime.assignments.get(1).gpus()).containsExactly("GPU-b");

        // A third session needing a GPU finds none free: it is reported as failed to start, never run.
        loop.handle(reply("{'assignments':[" + assignment("s-3", "interactive", "") + "]}"));
        assertThat(runtime.starts).doesNotContain("s-3");
        loop.heartbeat();
        assertThat(cp.reports).contains("s-1:PREPARING", "s-1:RUNNING", "s-3:ERROR:failed-to-start");
    }

    @Test
    void aSessionPlacedHereAgainAfterItsRetryRulesReQueuedItStartsAgainButAStaleAnswerStartsNothing() throws Exception {
        AgentLoop loop = loop();
        JsonNode placed = reply("{'assignments':[" + assignment("s-1", "batch", "") + "]}");
        loop.handle(placed);
        runtime.started.get("s-1").exited(3);
        // Ended, but its end not yet reported nor its workload removed: the same answer again starts nothing.
        loop.handle(placed);
        assertThat(runtime.starts).containsExactly("s-1");
        loop.step();
        assertThat(cp.reports).contains("s-1:TERMINATED:3");
        loop.handle(placed);
        assertThat(runtime.starts).as("reported, but its workload not removed yet: not yet").containsExactly("s-1");
        loop.step();
        assertThat(runtime.removed).containsExactly("s-1");
        // Re-queued by the control plane and placed here again: a new attempt starts, and it is followed to its end.
        loop.handle(placed);
        assertThat(runtime.starts).containsExactly("s-1", "s-1");
        assertThat(loop.starts("s-1")).isEqualTo(2);
        runtime.started.get("s-1").exited(0);
        loop.heartbeat();
        assertThat(cp.reports).containsSubsequence("s-1:TERMINATED:3", "s-1:PREPARING", "s-1:RUNNING", "s-1:TERMINATED:0");
        // An answer that still lists it as running (not SCHEDULED) never restarts it.
        loop.handle(reply("{'assignments':[" + assignment("s-1", "batch", "").replace("'SCHEDULED'", "'RUNNING'") + "]}"));
        assertThat(runtime.starts).hasSize(2);
    }

    @Test
    void aHaltedLoopHearsNothingMoreFromItsRuntimeSoTheAgentStartedAgainAloneFollowsTheWorkload() throws Exception {
        AgentLoop first = loop();
        first.handle(reply("{'assignments':[" + assignment("s-1", "interactive", "") + "]}"));
        first.heartbeat();
        SessionRuntime.Listener oldFollower = runtime.started.get("s-1");
        first.halt();
        runtime.onDisk.add(new SessionRuntime.Workload("s-1", true, OptionalInt.empty(), Optional.of("pid-s-1")));
        AgentLoop second = loop();
        assertThat(runtime.reattached).containsExactly("s-1");
        String ledger = java.nio.file.Files.readString(work.resolve("ledger.json"));
        cp.reports.clear();

        // The old process' thread still waiting on the workload sees it end (the new agent stopped it): it must
        // neither write the shared ledger nor take the end as its own.
        oldFollower.exited(143);
        oldFollower.failed("lost track of the container");
        oldFollower.facts(dev.sluice.protocol.SessionRuntimeFacts.EMPTY);
        assertThat(java.nio.file.Files.readString(work.resolve("ledger.json"))).isEqualTo(ledger);
        assertThat(first.sessions()).containsEntry("s-1", "RUNNING");

        runtime.started.get("s-1").exited(0);
        second.heartbeat();
        assertThat(cp.reports).containsExactly("s-1:TERMINATED:0");
    }

    @Test
    void aRestartedAgentFollowsWhatRunsReportsWhatVanishedAndStartsNothingTwice() throws Exception {
        AgentLoop first = loop();
        first.handle(reply("{'assignments':[" + assignment("s-1", "interactive", "") + "," + assignment("s-2", "interactive", "") + "]}"));
        first.heartbeat();
        cp.reports.clear();
        // After the restart s-1 still runs; s-2's workload is gone.
        runtime.onDisk.add(new SessionRuntime.Workload("s-1", true, OptionalInt.empty(), Optional.of("pid-s-1")));
        AgentLoop second = loop();
        assertThat(runtime.reattached).containsExactly("s-1");
        second.handle(reply("{'assignments':[" + assignment("s-1", "interactive", "") + "]}"));
        assertThat(runtime.starts).containsExactly("s-1", "s-2");
        assertThat(second.sessions()).containsEntry("s-1", "RUNNING").containsEntry("s-2", "ENDED");
        second.heartbeat();
        assertThat(cp.reports).containsExactly("s-2:ERROR:failed-to-start");
    }

    @Test
    void aWorkloadNoticedByTheRuntimeBeforeTheRestartButUnknownToTheLedgerIsAdoptedNotStarted() throws Exception {
        runtime.onDisk.add(new SessionRuntime.Workload("s-7", true, OptionalInt.empty(), Optional.of("c-7")));
        AgentLoop loop = loop();
        loop.handle(reply("{'assignments':[" + assignment("s-7", "interactive", "").replace("'SCHEDULED'", "'RUNNING'") + "]}"));
        assertThat(runtime.starts).isEmpty();
        assertThat(runtime.reattached).containsExactly("s-7");
    }

    @Test
    void aFailureTheRuntimeGivesAReasonForIsReportedWithThatReasonAndFolderMountsReachTheRuntime() throws Exception {
        AgentLoop loop = loop();
        String withMount = assignment("s-8", "batch", "").replace("'mounts':[]",
                "'mounts':[{'name':'data','folder_id':'f-1','location':'folders/f-1/','permission':'rw','path':'/home/work/data'}]");
        loop.handle(reply("{'assignments':[" + withMount + "]}"));
        assertThat(runtime.starts).as("a folder mount is the staging runtime's to copy, not a reason to refuse").containsExactly("s-8");
        assertThat(runtime.assignments.get(0).mounts()).containsExactly(new Assignment.Mount("data", "folders/f-1/", "rw", "/home/work/data"));
        runtime.started.get("s-8").failed("folder-save-failed", "the workload ended (exit code 0) but its folders could not be saved");
        loop.heartbeat();
        assertThat(cp.reports).contains("s-8:ERROR:folder-save-failed");
    }

    @Test
    void aFailingCleanupNeverKeepsTheHeartbeatFromGoingOut() throws Exception {
        AgentLoop loop = loop();
        runtime.removeFails = true;
        loop.handle(reply("{'assignments':[" + assignment("s-1", "batch", "") + "]}"));
        runtime.started.get("s-1").exited(0);
        loop.step();
        assertThat(cp.heartbeats).hasSize(1);
        assertThat(cp.reports).contains("s-1:TERMINATED:0");
        runtime.removeFails = false;
        loop.step();
        assertThat(runtime.removed).containsExactly("s-1");
    }

    @Test
    void anEndTheControlPlaneDidNotTakeIsSaidAgainWhenItStillAsksForAStop() throws Exception {
        AgentLoop loop = loop();
        loop.handle(reply("{'assignments':[" + assignment("s-1", "interactive", "") + "]}"));
        runtime.started.get("s-1").exited(0);
        cp.outcome = AgentReports.Outcome.REFUSED;
        loop.heartbeat();
        cp.outcome = AgentReports.Outcome.APPLIED;
        loop.heartbeat();
        assertThat(cp.reports).as("a refused report is dropped, not sent again").isEmpty();
        loop.handle(reply("{'terminate':[{'session_id':'s-1','reason':'user-requested'}]}"));
        loop.heartbeat();
        assertThat(cp.reports).containsExactly("s-1:TERMINATED:0");
    }

    @Test
    void outputIsSentAsItsLast64KiBAtMost() throws Exception {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 5000; i++) {
            b.append("progress ").append(i).append(" ████████████████████\n");
        }
        String capped = OutputUploader.capped(b.toString(), OutputUploader.MAX_LOGS_BODY_BYTES);
        assertThat(OutputUploader.encodedSize(capped)).isLessThanOrEqualTo(OutputUploader.MAX_LOGS_BODY_BYTES);
        assertThat(capped).startsWith("progress ").endsWith("progress 4999 ████████████████████\n");
    }

    @Test
    void outputFullOfCharactersThatEscapeStillFitsTheBodyLimitOnceEncoded() throws Exception {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 4000; i++) {
            b.append("\"quoted\" \\back\\slash \u0001\u0002\u001b[0m\ttab 😀 line ").append(i).append('\n');
        }
        String text = b.toString();
        assertThat(text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length).as("raw, well over the limit").isGreaterThan(64 * 1024);
        String capped = OutputUploader.capped(text, OutputUploader.MAX_LOGS_BODY_BYTES);
        int body = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsBytes(Map.of("text", capped)).length;
        assertThat(body).as("the request body as sent").isLessThanOrEqualTo(64 * 1024);
        assertThat(capped).startsWith("\"quoted\"").endsWith("line 3999\n");
        assertThat(text).endsWith(capped);
        // The last 60 KiB of raw output (what was sent before) escapes to a body the API refuses.
        byte[] raw = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String rawTail = new String(raw, raw.length - 60 * 1024, 60 * 1024, java.nio.charset.StandardCharsets.UTF_8);
        assertThat(OutputUploader.encodedSize(rawTail)).isGreaterThan(64 * 1024);
        // A surrogate pair is never split at the cut.
        String emoji = "😀".repeat(30_000);
        assertThat(OutputUploader.capped(emoji, 1000)).matches("(😀)+");
    }

    @Test
    void reportsAreDeliveredInOrderAndRetriedUntilAcknowledged() throws Exception {
        AgentLoop loop = loop();
        cp.heartbeatStatus = 503;
        loop.handle(reply("{'assignments':[" + assignment("s-1", "batch", "") + "]}"));
        runtime.started.get("s-1").exited(0);
        loop.step();
        assertThat(cp.reports).isEmpty();
        assertThat(runtime.removed).as("not removed before its end is acknowledged").isEmpty();
        // The agent restarts before the control plane is back: nothing is lost.
        cp.heartbeatStatus = 200;
        AgentLoop again = loop();
        again.heartbeat();
        assertThat(cp.reports).containsExactly("s-1:PREPARING", "s-1:RUNNING", "s-1:TERMINATED:0");
        assertThat(cp.sent()).as("the same reports, the same numbers, sent twice")
                .containsExactly("s-1:PREPARING#1", "s-1:RUNNING#2", "s-1:TERMINATED#3", "s-1:PREPARING#1", "s-1:RUNNING#2", "s-1:TERMINATED#3");
        assertThat(cp.logs).as("the last output rides the end's report").containsEntry("s-1", "out of s-1");
        again.flushReports();
        assertThat(runtime.removed).containsExactly("s-1");
    }

    @Test
    void aHeartbeatWithoutReportsCarriesNoReportsField() throws Exception {
        AgentLoop loop = loop();
        loop.heartbeat();
        assertThat(cp.heartbeats).singleElement().satisfies(hb -> assertThat(hb).doesNotContainKey(AgentReports.REPORTS));
    }

    @Test
    void aControlPlaneBefore020ThatRefusesReportsGetsEachStepAtTheStatusEndpointForTheRestOfTheProcess() throws Exception {
        cp.before020 = true;
        AgentLoop loop = loop();
        loop.heartbeat();
        assertThat(cp.heartbeats).hasSize(1);
        assertThat(loop.perStepStatus()).as("an empty heartbeat is taken: nothing to fall back from").isFalse();

        loop.handle(reply("{'assignments':[" + assignment("s-1", "batch", "") + "]}"));
        runtime.started.get("s-1").exited(0);
        loop.heartbeat();
        assertThat(loop.perStepStatus()).isTrue();
        assertThat(cp.calls).as("each step in order, the end's output uploaded before the end")
                .containsExactly("s-1:PREPARING", "s-1:RUNNING", "logs:s-1", "s-1:TERMINATED");
        assertThat(cp.reports).containsExactly("s-1:PREPARING", "s-1:RUNNING", "s-1:TERMINATED:0");
        assertThat(cp.logs).containsEntry("s-1", "out of s-1");
        assertThat(cp.heartbeats).as("the refused heartbeat, then the same heartbeat again without the reports").hasSize(3);
        assertThat(cp.heartbeats.get(1)).containsKey(AgentReports.REPORTS);
        assertThat(cp.heartbeats.get(2)).doesNotContainKey(AgentReports.REPORTS);
        loop.flushReports();
        assertThat(runtime.removed).as("acknowledged: cleaned up").containsExactly("s-1");

        // Remembered: the next steps go straight to the status endpoint, the heartbeat never carries reports again.
        loop.handle(reply("{'assignments':[" + assignment("s-2", "interactive", "") + "]}"));
        cp.statusAnswer = 503;
        loop.heartbeat();
        assertThat(cp.calls.subList(4, cp.calls.size())).as("a step to be sent again keeps the later ones back")
                .containsExactly("s-2:PREPARING");
        cp.statusAnswer = 200;
        loop.heartbeat();
        assertThat(cp.calls.subList(5, cp.calls.size())).containsExactly("s-2:PREPARING", "s-2:RUNNING");
        assertThat(cp.heartbeats.subList(3, cp.heartbeats.size())).hasSize(2).allSatisfy(hb -> assertThat(hb).doesNotContainKey(AgentReports.REPORTS));
    }

    @Test
    void aBatchSessionPastItsTimeoutIsStoppedAndReportedAsTimedOut() throws Exception {
        AgentLoop loop = loop();
        loop.handle(reply("{'heartbeat_interval':3600,'assignments':[" + assignment("s-1", "batch", ",'batch_timeout':60") + "]}"));
        clock.now = clock.now.plusSeconds(59);
        loop.step();
        assertThat(runtime.stops).isEmpty();
        clock.now = clock.now.plusSeconds(2);
        loop.step();
        awaitEnded(loop, "s-1");
        assertThat(runtime.stops).containsExactly("s-1");
        loop.heartbeat();
        assertThat(cp.reports).contains("s-1:TERMINATED:143:task-timeout");
    }

    @Test
    void aSessionToTerminateIsStoppedOnceAndReportedAsRequested() throws Exception {
        AgentLoop loop = loop();
        loop.handle(reply("{'assignments':[" + assignment("s-1", "interactive", "") + "]}"));
        JsonNode stop = reply("{'assignments':[],'terminate':[{'session_id':'s-1','reason':'user-requested'}]}");
        loop.handle(stop);
        loop.handle(stop);
        awaitEnded(loop, "s-1");
        assertThat(loop.awaitStops(Duration.ofSeconds(5))).as("every stop asked for has returned").isTrue();
        assertThat(runtime.stops).containsExactly("s-1");
        loop.heartbeat();
        assertThat(cp.reports).contains("s-1:TERMINATED:143:user-requested");
    }

    @Test
    void aSessionTheControlPlaneThinksStartedButThisAgentNeverSawIsReportedNotRestarted() throws Exception {
        AgentLoop loop = loop();
        loop.handle(reply("{'assignments':[" + assignment("s-9", "interactive", "").replace("'SCHEDULED'", "'RUNNING'") + "]}"));
        assertThat(runtime.starts).isEmpty();
        loop.heartbeat();
        assertThat(cp.reports).containsExactly("s-9:ERROR:failed-to-start");
    }

    @Test
    void reportsBringTheNextHeartbeatForwardCoalescedAndTheScheduleRestartsFromIt() throws Exception {
        AgentLoop loop = loop();
        cp.nextReply = reply("{'heartbeat_interval':20}");
        loop.step();
        assertThat(cp.heartbeats).hasSize(1);
        // A session starts: PREPARING and RUNNING are queued; nothing goes out before report.coalesce (1 s) has passed.
        loop.handle(reply("{'heartbeat_interval':20,'assignments':[" + assignment("s-1", "batch", "") + "]}"));
        clock.now = clock.now.plusMillis(500);
        runtime.started.get("s-1").exited(0);
        loop.step();
        assertThat(cp.heartbeats).as("coalescing").hasSize(1);
        clock.now = clock.now.plusMillis(500);
        loop.step();
        assertThat(cp.heartbeats).as("brought forward, not 20 s later").hasSize(2);
        assertThat(cp.sent()).containsExactly("s-1:PREPARING#1", "s-1:RUNNING#2", "s-1:TERMINATED#3");
        assertThat(cp.logs).containsEntry("s-1", "out of s-1");
        // The regular schedule restarts from it: the next heartbeat is 20 s after it.
        clock.now = clock.now.plusSeconds(19);
        loop.step();
        assertThat(cp.heartbeats).hasSize(2);
        clock.now = clock.now.plusSeconds(1);
        loop.step();
        assertThat(cp.heartbeats).hasSize(3);
        assertThat(cp.heartbeats.get(2)).as("nothing to report: no reports field at all").doesNotContainKey(AgentReports.REPORTS);
    }

    /** Each report sent, as session:STATUS#seq and its runtime facts (or "-"), heartbeat by heartbeat. */
    @SuppressWarnings("unchecked")
    private List<List<String>> sentWithFacts() {
        List<List<String>> out = new ArrayList<>();
        for (Map<String, Object> hb : cp.heartbeats) {
            List<String> one = new ArrayList<>();
            for (Object wire : (List<Object>) hb.getOrDefault(AgentReports.REPORTS, List.of())) {
                AgentReports.Report r = AgentReports.Report.fromWire(wire);
                Object facts = r.step().get(dev.sluice.protocol.SessionRuntimeFacts.FIELD);
                one.add(r.sessionId() + ":" + r.step().get("status") + "#" + r.seq() + " "
                        + (facts == null ? "-" : dev.sluice.protocol.SessionRuntimeFacts.fromWire(facts).toJson()));
            }
            out.add(one);
        }
        return out;
    }

    private static dev.sluice.protocol.SessionRuntimeFacts pulled(long bytes) {
        return dev.sluice.protocol.SessionRuntimeFacts.EMPTY.withPull(
                new dev.sluice.protocol.SessionRuntimeFacts.PullProgress(bytes, 100, bytes == 100 ? 1 : 0, 1));
    }

    @Test
    void runtimeFactsGoAtMostOnceAHeartbeatNeverBringItForwardAndRideTheNextStep() throws Exception {
        runtime.pullOnly = true;
        AgentLoop loop = loop();
        cp.nextReply = reply("{'heartbeat_interval':10}");
        loop.step();
        loop.handle(reply("{'heartbeat_interval':10,'assignments':[" + assignment("s-1", "batch", "") + "]}"));
        SessionRuntime.Listener pulling = runtime.started.get("s-1");
        clock.now = clock.now.plusSeconds(1);
        loop.step(); // the PULLING step, brought forward
        assertThat(cp.heartbeats).hasSize(2);

        pulling.facts(pulled(10));
        pulling.facts(pulled(40));
        clock.now = clock.now.plusSeconds(5);
        loop.step();
        assertThat(cp.heartbeats).as("facts alone do not bring the heartbeat forward").hasSize(2);
        clock.now = clock.now.plusSeconds(5);
        loop.step();
        clock.now = clock.now.plusSeconds(10);
        loop.step(); // nothing new: no report
        pulling.facts(pulled(100));
        pulling.preparing();
        clock.now = clock.now.plusSeconds(1);
        loop.step();

        assertThat(sentWithFacts()).containsExactly(
                List.of(),
                List.of("s-1:PULLING#1 -"),
                List.of("s-1:PULLING#1 " + pulled(40).toJson()),
                List.of(),
                List.of("s-1:PREPARING#2 " + pulled(100).toJson()));
        assertThat(loop.awaitSettled(Duration.ofSeconds(1))).as("a facts report leaves nothing queued").isTrue();
    }

    @Test
    void aControlPlaneBefore020GetsEachStepWithoutItsFactsAndNoReportForFactsAlone() throws Exception {
        runtime.pullOnly = true;
        AgentLoop loop = loop();
        loop.handle(reply("{'assignments':[" + assignment("s-1", "batch", "") + "]}"));
        SessionRuntime.Listener s1 = runtime.started.get("s-1");
        loop.heartbeat(); // PULLING taken in the heartbeat (the control plane was upgraded then)
        assertThat(cp.reports).containsExactly("s-1:PULLING");

        // Now a control plane before 0.2.0 (rolled back): facts alone would be a report of PULLING again.
        cp.before020 = true;
        s1.facts(pulled(40));
        loop.heartbeat();
        assertThat(loop.perStepStatus()).isTrue();
        assertThat(sentWithFacts().get(1)).as("the refused heartbeat carried the facts")
                .containsExactly("s-1:PULLING#1 " + pulled(40).toJson());
        assertThat(cp.calls).as("facts alone never go to the status endpoint").isEmpty();
        assertThat(loop.awaitSettled(Duration.ofSeconds(1))).as("nothing left queued").isTrue();

        // Every Docker step after it carries the facts: the status endpoint gets them without.
        s1.facts(pulled(100));
        s1.preparing();
        s1.running("c-1", Map.of());
        s1.exited(0);
        loop.heartbeat();
        assertThat(cp.calls).containsExactly("s-1:PREPARING", "s-1:RUNNING", "logs:s-1", "s-1:TERMINATED");
        assertThat(cp.reports).containsExactly("s-1:PULLING", "s-1:PREPARING", "s-1:RUNNING", "s-1:TERMINATED:0");
        assertThat(loop.awaitSettled(Duration.ofSeconds(1))).isTrue();
    }

    @Test
    void aControlPlaneThatRefusesFactsGetsTheReportAgainWithoutThemAndNoFactsFromThenOn() throws Exception {
        cp.factsUnknown = true;
        runtime.pullOnly = true;
        AgentLoop loop = loop();
        cp.nextReply = reply("{'heartbeat_interval':30}");
        loop.handle(reply("{'heartbeat_interval':30,'assignments':[" + assignment("s-1", "batch", "") + ","
                + assignment("s-2", "batch", "") + "]}"));
        SessionRuntime.Listener s1 = runtime.started.get("s-1");
        SessionRuntime.Listener s2 = runtime.started.get("s-2");
        s1.facts(pulled(100));
        s2.facts(pulled(100));
        s1.preparing();
        s2.preparing();
        loop.heartbeat();
        assertThat(loop.sendsFacts()).isFalse();
        assertThat(cp.reports).as("the reports with facts were refused, not applied").containsExactly("s-1:PULLING", "s-2:PULLING");
        assertThat(loop.lastError()).as("not a refusal of the step").doesNotContain("runtime");
        assertThat(sentWithFacts().get(0)).containsExactly("s-1:PULLING#1 -", "s-1:PREPARING#2 " + pulled(100).toJson(),
                "s-2:PULLING#1 -", "s-2:PREPARING#2 " + pulled(100).toJson());
        assertThat(loop.awaitSettled(Duration.ZERO)).as("the refused reports stay queued").isFalse();

        clock.now = clock.now.plusSeconds(2);
        loop.step(); // due again soon, not after the 30 s interval
        assertThat(sentWithFacts().get(1)).as("sent again, without the facts")
                .containsExactly("s-1:PREPARING#2 -", "s-2:PREPARING#2 -");
        assertThat(cp.reports).containsExactly("s-1:PULLING", "s-2:PULLING", "s-1:PREPARING", "s-2:PREPARING");

        // From then on, no facts: neither on a step nor alone.
        s1.facts(pulled(100).withImage("1000", List.of()));
        s1.running("c-1", Map.of());
        clock.now = clock.now.plusSeconds(2);
        loop.step();
        assertThat(sentWithFacts()).hasSize(3);
        assertThat(sentWithFacts().get(2)).containsExactly("s-1:RUNNING#3 -");
        assertThat(cp.reports).endsWith("s-1:RUNNING");
    }

    @Test
    void aReportAnsweredRetryIsSentAgainAndEveryOtherOutcomeDropsIt() throws Exception {
        for (AgentReports.Outcome o : AgentReports.Outcome.values()) {
            FakeControlPlane plane = new FakeControlPlane();
            plane.outcome = o;
            AgentConfig config = AgentConfig.from(Map.of("api.endpoint", "http://127.0.0.1:1", "resource.group", "g1", "auth", "token",
                    "auth.token.file", work.resolve("t").toString(), "runtime", "process", "work.dir", work.resolve(o.name()).toString()));
            AgentLoop loop = new AgentLoop(config, "i-1", new Capacity(Map.of("cpu", "4"), Map.of(), "x86_64", List.of()), plane,
                    new FakeRuntime(), clock);
            loop.handle(reply("{'assignments':[" + assignment("s-1", "interactive", "").replace("'cuda.device':'1'", "'cuda.device':'0'") + "]}"));
            loop.heartbeat();
            loop.heartbeat();
            assertThat(plane.sent()).as(o.name()).hasSize(o.retry() ? 4 : 2);
        }
    }

    @Test
    void reportsQueuedByAnAgentBefore020AreNumberedAndSent() throws Exception {
        java.nio.file.Files.writeString(work.resolve("ledger.json"), "[{\"sessionId\":\"s-old\",\"kernelId\":\"s-old-0\",\"type\":\"batch\","
                + "\"state\":\"ENDED\",\"removed\":true,\"endedAt\":1,\"pending\":[{\"status\":\"RUNNING\"},{\"status\":\"TERMINATED\",\"exit_code\":0}]}]");
        AgentLoop loop = loop();
        loop.heartbeat();
        assertThat(cp.sent()).containsExactly("s-old:RUNNING#1", "s-old:TERMINATED#2");
        assertThat(cp.reports).containsExactly("s-old:RUNNING", "s-old:TERMINATED:0");
    }

    @Test
    void reportsThatWouldNotFitOneHeartbeatGoInTheNextOnesInOrder() throws Exception {
        AgentLoop loop = loop();
        cp.nextReply = reply("{'heartbeat_interval':20}");
        StringBuilder assignments = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            assignments.append(i == 0 ? "" : ",").append(assignment("s-" + i, "batch", "").replace("'cuda.device':'1'", "'cuda.device':'0'"));
        }
        loop.handle(reply("{'heartbeat_interval':20,'assignments':[" + assignments + "]}"));
        String longMessage = "x".repeat(5000);
        for (int i = 0; i < 60; i++) {
            runtime.started.get("s-" + i).failed("failed-to-start", longMessage);
        }
        loop.step();
        for (int round = 0; round < 10 && cp.reports.size() < 180; round++) {
            clock.now = clock.now.plusSeconds(1);
            loop.step();
        }
        for (Map<String, Object> hb : cp.heartbeats) {
            assertThat(JSON.writeValueAsBytes(hb).length).as("every heartbeat within the body limit").isLessThanOrEqualTo(64 * 1024);
        }
        assertThat(cp.heartbeats.size()).as("more than one heartbeat, each a second after the last, not 20 s").isBetween(2, 8);
        assertThat(cp.reports).hasSize(180);
        assertThat(cp.reports.stream().filter(r -> r.startsWith("s-7:")).toList())
                .containsExactly("s-7:PREPARING", "s-7:RUNNING", "s-7:ERROR:failed-to-start");
    }

    @Test
    void anEndWhoseOutputWouldNotFitTheHeartbeatUploadsItFirstAndReportsWithout() throws Exception {
        AgentLoop loop = loop();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 900; i++) { // about 40 KiB encoded: one fits beside the heartbeat, not two
            b.append("\"quoted\" line ").append(i).append(" ----------------------\n");
        }
        runtime.output = b.toString();
        loop.handle(reply("{'assignments':[" + assignment("s-1", "batch", "") + "," + assignment("s-2", "batch", "") + "]}"));
        runtime.started.get("s-1").exited(0);
        runtime.started.get("s-2").exited(0);
        loop.heartbeat();
        assertThat(cp.reports).contains("s-1:TERMINATED:0", "s-2:TERMINATED:0");
        int body = JSON.writeValueAsBytes(cp.heartbeats.get(0)).length;
        assertThat(body).as("the heartbeat as sent").isLessThanOrEqualTo(64 * 1024);
        // One end's output rides its report; the other's would not fit beside it and went up on its own, before.
        assertThat(cp.logs).containsKeys("s-1", "s-2");
        assertThat(cp.uploads).hasSize(1);
    }

    @Test
    void theHeartbeatSaysWhatRunsAndFollowsTheIntervalTheControlPlaneSets() throws Exception {
        AgentLoop loop = loop();
        cp.nextReply = reply("{'heartbeat_interval':7,'assignments':[" + assignment("s-1", "interactive", "") + "]}");
        loop.step();
        loop.step();
        assertThat(cp.heartbeats).hasSize(1);
        assertThat(cp.heartbeats.get(0)).containsEntry("resource_group", "g1").containsEntry("version", AgentLoop.VERSION);
        clock.now = clock.now.plusSeconds(7);
        loop.step();
        assertThat(cp.heartbeats).hasSize(2);
        assertThat((List<?>) cp.heartbeats.get(1).get("running")).hasSize(1);
    }
}
