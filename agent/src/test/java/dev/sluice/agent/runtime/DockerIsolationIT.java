package dev.sluice.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.agent.Assignment;
import dev.sluice.agent.command.Command;
import dev.sluice.agent.command.CommandResult;
import dev.sluice.agent.command.CommandRunner;
import dev.sluice.agent.command.ProcessCommandRunner;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sessions on one host cannot reach each other, gain privileges or exhaust the host — proved against the real engine
 * with the agent's own {@link DockerRuntime} and its default {@link DockerIsolation}, in the {@code FROM scratch}
 * busybox image the test command builds ({@code SLUICE_TEST_DOCKER_IMAGE}). Every negative result comes with a
 * positive control showing the same probe does succeed where it is allowed to, so a probe that cannot work at all
 * would fail the test rather than pass it. Never skipped: without an engine it fails saying what to run (as
 * {@link DockerRuntimeIT}; {@code -Dsluice.docker.optOut=true} opts out on purpose).
 */
class DockerIsolationIT {

    private static final Duration END = Duration.ofMinutes(2);
    private static final Duration COMMAND = Duration.ofSeconds(60);
    /** Linux capability numbers (include/uapi/linux/capability.h) of what the isolation may leave or must drop. */
    private static final Map<String, Integer> CAPABILITY_BITS = Map.ofEntries(Map.entry("CHOWN", 0),
            Map.entry("DAC_OVERRIDE", 1), Map.entry("DAC_READ_SEARCH", 2), Map.entry("FOWNER", 3), Map.entry("FSETID", 4),
            Map.entry("KILL", 5), Map.entry("SETGID", 6), Map.entry("SETUID", 7), Map.entry("SETPCAP", 8),
            Map.entry("NET_BIND_SERVICE", 10), Map.entry("NET_ADMIN", 12), Map.entry("NET_RAW", 13),
            Map.entry("SYS_CHROOT", 18), Map.entry("SYS_PTRACE", 19), Map.entry("SYS_ADMIN", 21), Map.entry("MKNOD", 27),
            Map.entry("AUDIT_WRITE", 29), Map.entry("SETFCAP", 31));
    private static final String LONG_RUNNING = "exec sleep 3600";

    private static String image;

    @TempDir
    Path work;

    private final List<String> sessions = new ArrayList<>();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private final CommandRunner cli = new ProcessCommandRunner();

    @BeforeAll
    static void needsAnEngineAndTheTestImage() {
        image = DockerTestImage.require();
    }

    @AfterEach
    void nothingOfTheSessionsIsLeft() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        DockerRuntime docker = runtime(DockerIsolation.DEFAULTS);
        for (String session : sessions) {
            docker.remove(session); // its container and its network
            assertThat(cli.run(Command.of(COMMAND, new DockerCommands().networksOf(session))).stdout().trim())
                    .as("network of " + session + " left behind").isEmpty();
        }
    }

    private DockerRuntime runtime(DockerIsolation isolation) {
        return new DockerRuntime(cli, new DockerCommands("docker", isolation), work.resolve("env"), COMMAND);
    }

    private String session() {
        String id = "iso-" + UUID.randomUUID().toString().substring(0, 13);
        sessions.add(id);
        return id;
    }

    private static Assignment assignment(String sessionId, Map<String, String> slots, String command) {
        return new Assignment(sessionId, "k-" + sessionId, "interactive", image, slots, List.of(), Map.of(), List.of(),
                Optional.of(command), "main", 0, Optional.empty());
    }

    /** Starts a session with the agent's runtime and waits until it runs. */
    private RecordingListener started(DockerRuntime docker, String sessionId, Map<String, String> slots, String command)
            throws InterruptedException {
        RecordingListener listener = new RecordingListener();
        docker.start(assignment(sessionId, slots, command), listener);
        listener.awaitRunning(END);
        return listener;
    }

    private String docker(String... args) {
        List<String> argv = new ArrayList<>(List.of("docker"));
        argv.addAll(List.of(args));
        CommandResult result = cli.run(Command.of(COMMAND, argv));
        assertThat(result.succeeded()).as(result.failureDescription(String.join(" ", argv))).isTrue();
        return result.stdout().trim();
    }

    /** Runs a probe inside the session's container (same namespaces, capabilities and no-new-privileges). */
    private CommandResult inside(String sessionId, String script) {
        return cli.run(Command.of(COMMAND, List.of("docker", "exec", DockerCommands.containerName(sessionId), "sh", "-c",
                script)).mergingStderr());
    }

    /** Repeats a probe until its result passes (a server still starting), for at most {@link #END}. */
    private CommandResult await(String what, Predicate<CommandResult> passes, java.util.function.Supplier<CommandResult> probe)
            throws InterruptedException {
        long deadline = System.nanoTime() + END.toNanos();
        CommandResult last;
        do {
            last = probe.get();
            if (passes.test(last)) {
                return last;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        throw new AssertionError(what + " never happened within " + END + "; last: " + last);
    }

    private String ipOf(String sessionId) {
        return docker("inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                DockerCommands.containerName(sessionId));
    }

    @Test
    void aSessionCannotReachAnOpenPortOfAnotherSessionThoughItsOwnNetworkCan() throws Exception {
        DockerRuntime docker = runtime(DockerIsolation.DEFAULTS);
        String a = session();
        String b = session();
        started(docker, a, Map.of(), "mkdir -p /www && echo served-by-session-a > /www/index.html"
                + " && exec httpd -f -p 8080 -h /www");
        started(docker, b, Map.of(), LONG_RUNNING);
        String ipA = ipOf(a);
        String nameA = DockerCommands.containerName(a);
        // busybox's nc, an HTTP GET by hand (the static busybox's wget crashes in this image).
        String fetchA = "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 " + ipA + " 8080";
        String fetchByName = "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 " + nameA + " 8080";

        // Positive controls: the port is open — from inside A, and from another container on A's network, by
        // address and by name.
        await("session A serving on " + ipA + ":8080", r -> r.stdout().contains("served-by-session-a"),
                () -> inside(a, fetchA));
        CommandResult neighbour = cli.run(Command.of(COMMAND, List.of("docker", "run", "--rm", "--network",
                DockerCommands.networkName(a), image, "sh", "-c", fetchA + "; " + fetchByName)).mergingStderr());
        assertThat(neighbour.stdout().split("served-by-session-a", -1)).as("a container on A's network reaches it"
                + " by address and by name: " + neighbour).hasSize(3);

        CommandResult fromB = inside(b, fetchA + "; echo exit=$?");
        CommandResult byName = inside(b, fetchByName + "; echo exit=$?");

        assertThat(fromB.stdout()).as("B reaching A's port").doesNotContain("served-by-session-a").contains("exit=1");
        assertThat(byName.stdout()).as("B resolving A's name").doesNotContain("served-by-session-a").contains("exit=1");
        assertThat(docker("inspect", "--format", "{{range $n, $_ := .NetworkSettings.Networks}}{{$n}} {{end}}",
                DockerCommands.containerName(a))).isEqualTo(DockerCommands.networkName(a));
        assertThat(docker("inspect", "--format", "{{range $n, $_ := .NetworkSettings.Networks}}{{$n}} {{end}}",
                DockerCommands.containerName(b))).isEqualTo(DockerCommands.networkName(b));
        for (String s : List.of(a, b)) {
            assertThat(docker("inspect", "--format",
                    "{{json .HostConfig.PortBindings}} {{.HostConfig.PublishAllPorts}} {{json .NetworkSettings.Ports}}",
                    DockerCommands.containerName(s))).as("nothing published on the host").isEqualTo("{} false {}");
        }
    }

    @Test
    void aSessionRunsWithNoNewPrivilegesAndOnlyTheDocumentedCapabilities() throws Exception {
        DockerRuntime docker = runtime(DockerIsolation.DEFAULTS);
        String s = session();
        RecordingListener listener = new RecordingListener();

        docker.start(assignment(s, Map.of(), "grep -E '^(NoNewPrivs|Cap[A-Za-z]+):' /proc/self/status;"
                + " if mknod /dev/sluice-mem c 1 1 2>/dev/null; then echo mknod=done; else echo mknod=refused; fi;"
                + " if hostname intruder 2>/dev/null; then echo hostname=done; else echo hostname=refused; fi;"
                + " if ip link set lo down 2>/dev/null; then echo link=done; else echo link=refused; fi;"
                // CHOWN, then FOWNER (chmod of another's file) and DAC_OVERRIDE (reading it): the minimum at work.
                + " echo x > /owned && chown 1234:1234 /owned && chmod 600 /owned && cat /owned >/dev/null"
                + " && echo file=done"), listener);

        assertThat(listener.awaitEnd(END)).endsWith("exited(0)");
        String out = docker.logs(s, 50).orElseThrow();
        Map<String, String> status = new LinkedHashMap<>();
        out.lines().filter(l -> l.contains(":\t")).forEach(l -> status.put(l.substring(0, l.indexOf(':')),
                l.substring(l.indexOf('\t') + 1).trim()));
        long expected = 0;
        for (String cap : DockerIsolation.MINIMUM_CAPABILITIES) {
            expected |= 1L << CAPABILITY_BITS.get(cap);
        }
        String mask = String.format("%016x", expected);

        assertThat(mask).isEqualTo("00000000000004eb");
        assertThat(status).containsEntry("NoNewPrivs", "1").containsEntry("CapEff", mask).containsEntry("CapPrm", mask)
                .containsEntry("CapBnd", mask).containsEntry("CapAmb", "0000000000000000")
                .containsEntry("CapInh", "0000000000000000");
        for (String dropped : List.of("NET_RAW", "NET_ADMIN", "SYS_ADMIN", "SYS_PTRACE", "MKNOD", "SYS_CHROOT")) {
            assertThat(Long.parseLong(status.get("CapBnd"), 16) & (1L << CAPABILITY_BITS.get(dropped))).as(dropped).isZero();
        }
        // What needs a dropped capability fails; what the minimum is for still works (positive control).
        assertThat(out).contains("mknod=refused").contains("hostname=refused").contains("link=refused")
                .contains("file=done");
        assertThat(docker("inspect", "--format", "{{json .HostConfig.SecurityOpt}} {{json .HostConfig.CapDrop}}"
                + " {{.HostConfig.Privileged}}", DockerCommands.containerName(s)))
                .isEqualTo("[\"no-new-privileges\"] [\"ALL\"] false");
    }

    @Test
    void aForkBombIsCappedAtThePidsLimitAndTheSessionCanStillBeStopped() throws Exception {
        long limit = 64;
        DockerRuntime docker = runtime(new DockerIsolation(DockerIsolation.Network.SESSION,
                DockerIsolation.MINIMUM_CAPABILITIES, limit));
        String s = session();
        long hostBefore = hostProcesses();

        // Forks until the kernel refuses (the subshell then gives up); PID 1 stays, so the container keeps running.
        RecordingListener listener = started(docker, s, Map.of("cpu", "0.5"),
                "(while true; do sleep 600 & done) 2>/dev/null & exec sleep 3600");
        Path pids = pidsCgroup(s);
        long deadline = System.nanoTime() + END.toNanos();
        while (readLong(pids.resolve("pids.current")) < limit && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }

        assertThat(readLong(pids.resolve("pids.max"))).isEqualTo(limit);
        assertThat(readLong(pids.resolve("pids.current"))).as("processes in the container").isEqualTo(limit);
        assertThat(Files.readString(pids.resolve("pids.events")).trim()).as("forks the kernel refused")
                .matches("max [1-9][0-9]*");
        for (int i = 0; i < 5; i++) {
            assertThat(readLong(pids.resolve("pids.current"))).isLessThanOrEqualTo(limit);
            Thread.sleep(100);
        }
        // The host as a whole: the container's processes are all it added (others on this machine come and go too).
        assertThat(hostProcesses() - hostBefore).isLessThanOrEqualTo(limit + 200);

        long before = System.nanoTime();
        docker.stop(s, Duration.ofSeconds(2));

        assertThat(listener.awaitEnd(END)).endsWith("exited(137)");
        assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(30));
        assertThat(docker("inspect", "--format", "{{.State.Status}}", DockerCommands.containerName(s))).isEqualTo("exited");
    }

    @Test
    void aSessionCannotReachAListenerOnTheHostsLoopbackThoughItReachesTheHostsBridgeAddress() throws Exception {
        DockerRuntime docker = runtime(DockerIsolation.DEFAULTS);
        String s = session();
        started(docker, s, Map.of(), LONG_RUNNING);
        String gateway = docker("network", "inspect", "--format", "{{range .IPAM.Config}}{{.Gateway}}{{end}}",
                DockerCommands.networkName(s));
        Listener loopback = listen(InetAddress.getLoopbackAddress(), "host-loopback-answered");
        Listener bridge = listen(InetAddress.getByName(gateway), "host-bridge-answered");

        // Positive control: the host itself is reachable from the container, on its address on the session's bridge.
        CommandResult control = await("the container reaching " + gateway + ":" + bridge.port(),
                r -> r.stdout().contains("host-bridge-answered"),
                () -> inside(s, "nc -w 3 " + gateway + " " + bridge.port() + " </dev/null"));
        assertThat(bridge.accepted()).isPositive();

        List<String> targets = new ArrayList<>(List.of("127.0.0.1", "localhost", gateway));
        targets.addAll(hostAddresses());
        for (String target : targets) {
            CommandResult probe = inside(s, "nc -w 3 " + target + " " + loopback.port() + " </dev/null; echo exit=$?");
            assertThat(probe.stdout()).as("from the container to " + target + ":" + loopback.port() + " (control: "
                    + control.stdout().trim() + ")").doesNotContain("host-loopback-answered").contains("exit=1");
        }
        assertThat(loopback.accepted()).as("connections the loopback listener accepted").isZero();
    }

    private record Listener(ServerSocket socket, AtomicInteger count) {
        int port() {
            return socket.getLocalPort();
        }

        int accepted() {
            return count.get();
        }
    }

    /** A TCP listener on {@code address} that greets each connection with {@code greeting} and closes it. */
    private Listener listen(InetAddress address, String greeting) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, address);
        AtomicInteger accepted = new AtomicInteger();
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket c = server.accept(); OutputStream out = c.getOutputStream()) {
                    accepted.incrementAndGet();
                    out.write((greeting + "\n").getBytes(StandardCharsets.UTF_8));
                } catch (IOException closed) {
                    // the test is over
                }
            }
        }, "listener-" + greeting);
        t.setDaemon(true);
        t.start();
        closing.add(server);
        return new Listener(server, accepted);
    }

    /** This host's own IPv4 addresses, but loopback and Docker's bridges (those are probed on their own). */
    private static List<String> hostAddresses() throws IOException {
        List<String> found = new ArrayList<>();
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (nic.isLoopback() || nic.getName().startsWith("br-") || nic.getName().startsWith("docker")
                    || nic.getName().startsWith("veth")) {
                continue;
            }
            for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                if (address instanceof java.net.Inet4Address) {
                    found.add(address.getHostAddress());
                }
            }
        }
        return found;
    }

    /** The container's pids cgroup on the host (cgroup v1 {@code pids} controller, or the v2 unified one). */
    private Path pidsCgroup(String sessionId) throws IOException {
        String pid = docker("inspect", "--format", "{{.State.Pid}}", DockerCommands.containerName(sessionId));
        String v2 = null;
        for (String line : Files.readAllLines(Path.of("/proc", pid, "cgroup"))) {
            String[] parts = line.split(":", 3);
            if (List.of(parts[1].split(",")).contains("pids")) {
                return Path.of("/sys/fs/cgroup/pids" + parts[2]);
            }
            if (parts[0].equals("0")) {
                v2 = parts[2];
            }
        }
        assertThat(v2).as("the container's cgroup").isNotNull();
        return Path.of("/sys/fs/cgroup" + v2);
    }

    private static long readLong(Path file) throws IOException {
        return Long.parseLong(Files.readString(file).trim());
    }

    private static long hostProcesses() throws IOException {
        try (var entries = Files.list(Path.of("/proc"))) {
            return entries.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).count();
        }
    }
}
