package dev.sluice.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.agent.runtime.ProcessRuntimeTest.Recorder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The process runtime with a user id per session (the agent runs as root, as it does in CI and on hosts): a workload
 * reaches neither the agent's token, nor the agent's records, nor another session's files. Needs root, like the agent.
 */
class ProcessIsolationTest {
    static final ProcessRuntime.Uids UIDS = new ProcessRuntime.Uids(231_000, 231_009);

    @TempDir
    Path tmp;
    Path work;
    Path token;

    @BeforeEach
    void layOut() throws Exception {
        assertThat(ProcessRuntime.runningAsRoot()).as("the isolated process runtime is the root agent's: run the agent tests as root").isTrue();
        // As `sluice-local up` lays it out: the state directory holds the token, the agent's work directory below it.
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
        work = Files.createDirectories(tmp.resolve("agent"));
        token = tmp.resolve("agent-token");
        Files.writeString(token, "header.eyJzdWIiOiJsb2NhbC1hZ2VudC0xIn0.signature");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
    }

    static dev.sluice.agent.Assignment assignment(String id, String command) {
        return new dev.sluice.agent.Assignment(id, id + "-0", "batch", "none", Map.of("cpu", "1"), List.of(), Map.of("GREETING", "hi"),
                List.of(), Optional.ofNullable(command), "main", 0, Optional.empty());
    }

    @Test
    void aWorkloadCannotReadTheAgentsTokenNorItsRecordsAndRunsAsAUserOfItsOwn() throws Exception {
        ProcessRuntime runtime = new ProcessRuntime(work, UIDS);
        Recorder r = new Recorder();
        runtime.start(assignment("s-1", ""
                + "echo \"uid=$(id -u) gid=$(id -g) groups=$(id -G)\"\n"
                + "cut -d. -f2 \"$SLUICE_DIR/../../../../agent-token\" | base64 -d; echo\n"
                + "cat " + token + " 2>&1\n"
                + "ls \"$SLUICE_DIR/../..\" 2>&1\n"
                + "echo forged > \"$SLUICE_DIR/../exit_code\" 2>&1 || echo 'no forging'\n"
                + "echo mine > \"$SLUICE_DIR/result.txt\" && cat \"$SLUICE_DIR/result.txt\"\n"
                + "echo \"home=$HOME pwd=$(pwd) agent-settings=${SLUICE_AGENT_AUTH_TOKEN_FILE:-none}\"\n"
                + "exit 3"), r);
        assertThat(r.exit.get(20, TimeUnit.SECONDS)).as("its own exit code, not one it forged").isEqualTo(3);
        String out = runtime.logs("s-1", 100).orElseThrow();
        Path dir = work.resolve("sessions/s-1/work");

        assertThat(out).contains("uid=231000 gid=231000 groups=231000\n");
        assertThat(out).doesNotContain("local-agent-1").doesNotContain("eyJzdWIi");
        assertThat(out).contains("agent-token: Permission denied").contains("Permission denied");
        assertThat(out).contains("no forging");
        assertThat(out).contains("mine\n").contains("home=" + dir + " pwd=" + dir + " agent-settings=none");
        assertThat(Files.getAttribute(dir, "unix:uid")).isEqualTo(231_000);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(Files.getAttribute(work.resolve("sessions/s-1/output.log"), "unix:uid")).as("the agent's record").isEqualTo(0);
    }

    @Test
    void sessionsRunAsDifferentUsersAndCannotReachEachOthersFilesOrFolders() throws Exception {
        ProcessRuntime runtime = new ProcessRuntime(work, UIDS);
        Path folder = Files.createDirectories(work.resolve("mounts/s-a/data"));
        Files.writeString(folder.resolve("private.txt"), "user a's data");
        runtime.grant("s-a", folder, true);
        Recorder a = new Recorder();
        runtime.start(assignment("s-a", "echo secret-of-a > \"$SLUICE_DIR/notes.txt\"; cat " + folder.resolve("private.txt")
                + "; echo more >> " + folder.resolve("private.txt") + "; sleep 30"), a);
        awaitRunning(a, () -> Files.readString(folder.resolve("private.txt")).endsWith("more\n"));
        Recorder b = new Recorder();
        runtime.start(assignment("s-b", "id -u; cat " + work.resolve("sessions/s-a/work/notes.txt") + " 2>&1; cat "
                + folder.resolve("private.txt") + " 2>&1; ls " + work.resolve("sessions") + " 2>&1; kill -9 "
                + runtime.discover().stream().filter(w -> w.sessionId().equals("s-a")).findFirst().orElseThrow().containerId().orElseThrow()
                + " 2>&1; exit 0"), b);
        assertThat(b.exit.get(20, TimeUnit.SECONDS)).isZero();
        String outB = runtime.logs("s-b", 100).orElseThrow();
        assertThat(outB).startsWith("231001\n").doesNotContain("secret-of-a").doesNotContain("user a's data");
        assertThat(outB.lines().filter(l -> l.contains("Permission denied") || l.contains("Operation not permitted")).count())
                .as(outB).isEqualTo(4);
        assertThat(runtime.logs("s-a", 10).orElseThrow()).contains("user a's data");
        assertThat(Files.readString(folder.resolve("private.txt"))).as("its own folder it may write").isEqualTo("user a's datamore\n");

        runtime.stop("s-a", Duration.ofSeconds(2));
        assertThat(a.exit.get(10, TimeUnit.SECONDS)).as("stopped by the agent across the user switch").isEqualTo(143);
        runtime.remove("s-a");
        Recorder c = new Recorder();
        runtime.start(assignment("s-c", "id -u"), c);
        assertThat(c.exit.get(20, TimeUnit.SECONDS)).isZero();
        assertThat(runtime.logs("s-c", 5).orElseThrow()).as("a removed session's user id is given again").isEqualTo("231000\n");
    }

    @Test
    void aProcessTheWorkloadLeftBehindEndsWithItsRemovalBeforeItsUserIdIsGivenAgain() throws Exception {
        ProcessRuntime runtime = new ProcessRuntime(work, UIDS);
        Recorder r = new Recorder();
        runtime.start(assignment("s-1", "setsid sleep 300 </dev/null >/dev/null 2>&1 & echo $! > \"$SLUICE_DIR/daemon\"; exit 0"), r);
        assertThat(r.exit.get(20, TimeUnit.SECONDS)).isZero();
        long daemon = Long.parseLong(Files.readString(work.resolve("sessions/s-1/work/daemon")).trim());
        assertThat(ProcessHandle.of(daemon)).as("it outlived its session").hasValueSatisfying(p -> assertThat(p.isAlive()).isTrue());

        runtime.remove("s-1");

        assertThat(ended(daemon, Duration.ofSeconds(10))).as("the daemon was killed with its session's removal").isTrue();
    }

    @Test
    void aReadOnlyFolderIsTheSessionsToReadNotToChange() throws Exception {
        ProcessRuntime runtime = new ProcessRuntime(work, UIDS);
        Path folder = Files.createDirectories(work.resolve("mounts/s-1/ref/sub"));
        Files.writeString(folder.resolve("a.txt"), "ref");
        runtime.grant("s-1", folder.getParent(), false);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(folder))).isEqualTo("r-x------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(folder.resolve("a.txt")))).isEqualTo("r--------");
        assertThat(Files.getAttribute(folder.resolve("a.txt"), "unix:uid")).isEqualTo(231_000);
        assertThat(runtime.discover()).as("a user id given while copying in is no workload").isEmpty();
    }

    @Test
    void itRefusesAWorkDirectoryAWorkloadCouldNotReach() throws Exception {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx------"));
        assertThatThrownBy(() -> new ProcessRuntime(work, UIDS)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(tmp.toString()).hasMessageContaining("o+x");
    }

    @Test
    void theRangeOfUserIdsIsChecked() {
        assertThat(ProcessRuntime.Uids.parse("200000-200999")).isEqualTo(new ProcessRuntime.Uids(200_000, 200_999));
        assertThatThrownBy(() -> ProcessRuntime.Uids.parse("0-10")).hasMessageContaining("workload.uids");
        assertThatThrownBy(() -> ProcessRuntime.Uids.parse("2000")).hasMessageContaining("workload.uids");
        assertThatThrownBy(() -> ProcessRuntime.Uids.parse("3000-2000")).hasMessageContaining("workload.uids");
    }

    /** Gone, or a zombie whose parent (whatever PID 1 is here) has not reaped it yet. */
    private static boolean ended(long pid, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            Path stat = Path.of("/proc/" + pid + "/stat");
            try {
                String text = Files.readString(stat);
                if (text.substring(text.lastIndexOf(')') + 2).startsWith("Z")) {
                    return true;
                }
            } catch (java.io.IOException gone) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    /**
     * Waits until the session is reported running and its workload has done what it does before it idles ({@code
     * setUp}), instead of guessing how long that takes; fails the test when it has not within 4 s.
     */
    private static void awaitRunning(Recorder r, java.util.concurrent.Callable<Boolean> setUp) throws Exception {
        for (int i = 0; i < 200; i++) {
            if (r.steps.stream().anyMatch(s -> s.startsWith("running")) && setUp.call()) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the session did not get running and set up within 4 s: " + r.steps);
    }
}
