package dev.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.sluice.agent.runtime.ProcessRuntime;
import dev.sluice.protocol.AgentInterruption;
import dev.sluice.protocol.AgentReports;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spot interruptions on the agent: its own IMDS poller against a tiny real HTTP server playing the instance metadata
 * service (IMDSv2: token, then spot/instance-action), and the loop's answer to an interruption from either source:
 * the deadline file, SIGTERM to a real process workload, its end reported ERROR spot-interrupted, nothing new started.
 */
class SpotInterruptionTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path work;
    private final List<HttpServer> servers = new ArrayList<>();
    private final List<ImdsPoller> pollers = new ArrayList<>();

    /** The metadata service: a token for a PUT, and spot/instance-action 404 until {@code action} is set. */
    final class FakeImds {
        final HttpServer server;
        final AtomicReference<String> action = new AtomicReference<>();
        final AtomicInteger tokens = new AtomicInteger();
        final List<String> refused = new CopyOnWriteArrayList<>();
        volatile String token = "token-1";

        FakeImds() throws Exception {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/latest/api/token", ex -> {
                boolean ok = ex.getRequestMethod().equals("PUT") && "21600".equals(ex.getRequestHeaders().getFirst("X-aws-ec2-metadata-token-ttl-seconds"));
                byte[] body = token.getBytes(StandardCharsets.UTF_8);
                tokens.incrementAndGet();
                ex.sendResponseHeaders(ok ? 200 : 400, ok ? body.length : -1);
                if (ok) {
                    ex.getResponseBody().write(body);
                }
                ex.close();
            });
            server.createContext("/latest/meta-data/spot/instance-action", ex -> {
                if (!token.equals(ex.getRequestHeaders().getFirst("X-aws-ec2-metadata-token"))) {
                    refused.add(String.valueOf(ex.getRequestHeaders().getFirst("X-aws-ec2-metadata-token")));
                    ex.sendResponseHeaders(401, -1);
                    ex.close();
                    return;
                }
                String a = action.get();
                if (a == null) {
                    ex.sendResponseHeaders(404, -1);
                } else {
                    byte[] body = a.getBytes(StandardCharsets.UTF_8);
                    ex.sendResponseHeaders(200, body.length);
                    ex.getResponseBody().write(body);
                }
                ex.close();
            });
            server.start();
            servers.add(server);
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }
    }

    @AfterEach
    void stop() {
        pollers.forEach(ImdsPoller::stop);
        servers.forEach(s -> s.stop(0));
    }

    private ImdsPoller poller(String url, String mode, Duration every, java.util.function.Consumer<AgentInterruption.Notice> to) {
        ImdsPoller p = new ImdsPoller(url, mode, every, to, line -> { });
        pollers.add(p);
        return p;
    }

    @Test
    void a404IsNothingAnd200IsTheInterruptionHandedOverOnceAndAnExpiredTokenIsTakenAgain() throws Exception {
        FakeImds imds = new FakeImds();
        List<AgentInterruption.Notice> heard = new CopyOnWriteArrayList<>();
        ImdsPoller p = poller(imds.url(), "auto", Duration.ofMillis(50), heard::add);
        p.start();
        awaitTrue(() -> p.polls() >= 5, Duration.ofSeconds(5));
        assertThat(heard).as("404: no interruption").isEmpty();
        assertThat(imds.tokens.get()).as("one token, kept").isEqualTo(1);

        imds.token = "token-2"; // the old one expires: refused once, taken again
        imds.action.set("{\"action\":\"terminate\",\"time\":\"2026-12-03T18:02:00Z\"}");
        awaitTrue(() -> !heard.isEmpty(), Duration.ofSeconds(5));
        assertThat(imds.refused).contains("token-1");
        assertThat(heard).containsExactly(new AgentInterruption.Notice(Instant.parse("2026-12-03T18:02:00Z"), AgentInterruption.SOURCE_IMDS));
        int polls = p.polls();
        Thread.sleep(300);
        assertThat(p.polls()).as("polling stops after the interruption").isEqualTo(polls);
        assertThat(heard).hasSize(1);
    }

    @Test
    void offEc2NothingAnswersAndAutoGivesUpWhileOffNeverAsks() throws Exception {
        FakeImds imds = new FakeImds();
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            closed = s.getLocalPort();
        }
        ImdsPoller auto = poller("http://127.0.0.1:" + closed, "auto", Duration.ofMillis(20), n -> { });
        auto.start();
        ImdsPoller off = poller(imds.url(), "off", Duration.ofMillis(20), n -> { });
        off.start();
        Thread.sleep(500);
        assertThat(auto.polls()).isZero();
        assertThat(imds.tokens.get()).as("imds.poll=off asks nothing").isZero();
    }

    @Test
    @SuppressWarnings("unchecked")
    void anInterruptionInTheHeartbeatAnswerStopsEveryWorkloadStartsNothingNewAndEndsEachSpotInterrupted() throws Exception {
        AgentLoopTest.FakeControlPlane cp = new AgentLoopTest.FakeControlPlane();
        AgentLoopTest.FakeRuntime runtime = new AgentLoopTest.FakeRuntime();
        AgentLoop loop = loop(cp, runtime, Clock.systemUTC());
        loop.handle(AgentLoopTest.reply("{'assignments':[" + AgentLoopTest.assignment("s-1", "batch", "") + "]}"));
        loop.heartbeat();
        String deadline = Instant.now().plusSeconds(120).toString();
        loop.handle(AgentLoopTest.reply("{'heartbeat_interval':2,'assignments':[" + AgentLoopTest.assignment("s-1", "batch", "") + ","
                + AgentLoopTest.assignment("s-2", "batch", "") + "],'interruption':{'deadline':'" + deadline
                + "','source':'spot-interruption-warning'}}"));
        awaitTrue(() -> "ENDED".equals(loop.sessions().get("s-1")), Duration.ofSeconds(5));
        loop.heartbeat();

        assertThat(runtime.stops).containsExactly("s-1");
        assertThat(runtime.starts).as("nothing new starts on an interrupted agent").containsExactly("s-1");
        assertThat(cp.reports).contains("s-1:ERROR:143:spot-interrupted", "s-2:ERROR:spot-interrupted");
        Map<String, Object> end = lastReport(cp, "s-1");
        assertThat(end).containsEntry("exit_code", 143);
        assertThat((Map<String, Object>) end.get(AgentInterruption.REPORT_FIELD)).containsEntry("source", "spot-interruption-warning")
                .containsEntry("deadline", deadline).containsKey("signaled_at");
        assertThat(loop.interruption()).isPresent();
        assertThat((Map<String, Object>) cp.heartbeats.get(cp.heartbeats.size() - 1).get(AgentInterruption.FIELD))
                .as("the agent tells the control plane what it heard").containsEntry("deadline", deadline);
    }

    /**
     * The whole agent side with a real process workload: the metadata service announces the interruption; within a poll
     * the workload is given SIGTERM, reads its deadline from SLUICE_DEADLINE_FILE (sourced, as a shell workload does),
     * checkpoints and exits; its end is reported ERROR spot-interrupted with the facts. Repeated at random moments
     * within the 5 s poll interval, it measures warning -> SIGTERM (the workload's own clock in its trap).
     */
    @Test
    @SuppressWarnings("unchecked")
    void anImdsInterruptionGivesARealWorkloadSigtermWithItsDeadlineWithinAPoll() throws Exception {
        List<Long> latencies = new ArrayList<>();
        java.util.Random random = new java.util.Random(17);
        for (int trial = 0; trial < 4; trial++) {
            Path dir = Files.createDirectories(work.resolve("trial-" + trial));
            AgentLoopTest.FakeControlPlane cp = new AgentLoopTest.FakeControlPlane();
            ProcessRuntime runtime = new ProcessRuntime(dir);
            AgentLoop loop = new AgentLoop(config(dir), "i-1", new Capacity(Map.of("cpu", "4", "mem", "8g", "cuda.device", "1"), Map.of(), "x86_64", List.of("GPU-a")),
                    cp, runtime, Clock.systemUTC());
            loop.recover();
            FakeImds imds = new FakeImds();
            ImdsPoller p = poller(imds.url(), "auto", Duration.ofSeconds(5), loop::interrupted);
            p.start();
            String command = "trap 'date +%s%N > \"$SLUICE_DIR/term_at\"; . \"$SLUICE_DEADLINE_FILE\"; "
                    + "echo \"$SLUICE_DEADLINE $SLUICE_DEADLINE_EPOCH $SLUICE_INTERRUPTION_SOURCE\" > \"$SLUICE_DIR/checkpoint\"; exit 7' TERM; "
                    + "while true; do sleep 0.05; done";
            com.fasterxml.jackson.databind.node.ObjectNode assignment =
                    (com.fasterxml.jackson.databind.node.ObjectNode) AgentLoopTest.reply(AgentLoopTest.assignment("s-" + trial, "batch", ""));
            assignment.put("startup_command", command);
            com.fasterxml.jackson.databind.node.ObjectNode answer = JSON.createObjectNode();
            answer.putArray("assignments").add(assignment);
            loop.handle(answer);
            String id = "s-" + trial;
            awaitTrue(() -> "RUNNING".equals(loop.sessions().get(id)), Duration.ofSeconds(10));
            assertThat(runtime.deadlineFile(id).orElseThrow()).as("absent until an interruption").doesNotExist();
            Thread.sleep(500 + random.nextInt(5000));
            Instant deadline = Instant.now().plusSeconds(120).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
            long warnedAt = System.currentTimeMillis();
            imds.action.set("{\"action\":\"terminate\",\"time\":\"" + deadline + "\"}");
            awaitTrue(() -> "ENDED".equals(loop.sessions().get(id)), Duration.ofSeconds(15));
            Path workDir = dir.resolve("sessions").resolve(id).resolve("work");
            long termAt = Long.parseLong(Files.readString(workDir.resolve("term_at")).trim()) / 1_000_000;
            latencies.add(termAt - warnedAt);
            assertThat(Files.readString(workDir.resolve("checkpoint")).trim())
                    .isEqualTo(deadline + " " + deadline.getEpochSecond() + " imds");
            loop.heartbeat();
            assertThat(cp.reports).contains(id + ":ERROR:7:spot-interrupted");
            Map<String, Object> end = lastReport(cp, id);
            assertThat(end).containsEntry("exit_code", 7);
            assertThat((Map<String, Object>) end.get(AgentInterruption.REPORT_FIELD)).containsEntry("source", "imds")
                    .containsEntry("deadline", deadline.toString());
            p.stop();
        }
        List<Long> sorted = latencies.stream().sorted().toList();
        long p50 = (sorted.get(1) + sorted.get(2)) / 2;
        System.out.println("warning -> SIGTERM (ms), IMDS polled every 5 s: " + latencies + " p50 " + p50 + " max " + sorted.get(3));
        assertThat(p50).as("p50 warning -> SIGTERM").isLessThan(5_000);
        assertThat(sorted.get(3)).as("at most one poll interval and a little").isLessThan(6_500);
    }

    private AgentConfig config(Path dir) {
        return AgentConfig.from(Map.of("api.endpoint", "http://127.0.0.1:1", "resource.group", "g1", "auth", "token",
                "auth.token.file", dir.resolve("t").toString(), "runtime", "process", "work.dir", dir.toString(),
                "heartbeat.interval", "1s", "stop.grace", "0s", "single.tenant", "true"));
    }

    private AgentLoop loop(AgentLoopTest.FakeControlPlane cp, dev.sluice.agent.runtime.SessionRuntime runtime, Clock clock) throws Exception {
        AgentLoop loop = new AgentLoop(config(work), "i-1", new Capacity(Map.of("cpu", "4", "mem", "8g", "cuda.device", "2"), Map.of(),
                "x86_64", List.of("GPU-a", "GPU-b")), cp, runtime, clock);
        loop.recover();
        return loop;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> lastReport(AgentLoopTest.FakeControlPlane cp, String sessionId) {
        Map<String, Object> last = null;
        for (Map<String, Object> hb : cp.heartbeats) {
            for (Object wire : (List<Object>) hb.getOrDefault(AgentReports.REPORTS, List.of())) {
                Map<String, Object> r = (Map<String, Object>) wire;
                if (sessionId.equals(r.get(AgentReports.SESSION_ID))) {
                    last = r;
                }
            }
        }
        assertThat(last).as("a report of " + sessionId).isNotNull();
        return last;
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, Duration within) throws InterruptedException {
        long end = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within " + within).isLessThan(end);
            Thread.sleep(20);
        }
    }
}
