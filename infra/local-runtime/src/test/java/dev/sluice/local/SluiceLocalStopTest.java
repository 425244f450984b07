package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How {@code infra/local/sluice-local} stops what it started: {@code stop_process} waits the seconds it is given before
 * a kill, and {@code stop_docker} gives dockerd 30 of them (it stops its containers and containerd first) after
 * removing the sessions' containers and networks. The functions are taken from the script as they are and run in bash.
 */
class SluiceLocalStopTest {

    private static final Path SCRIPT = LocalStack.ROOT.resolve("infra/local/sluice-local");

    @TempDir
    Path dir;

    /** The text of {@code name() { ... }} in the script, up to its closing brace at the start of a line. */
    private static String function(String name) throws IOException {
        List<String> lines = Files.readAllLines(SCRIPT);
        List<String> body = new ArrayList<>();
        boolean in = false;
        for (String line : lines) {
            if (line.startsWith(name + "() {")) {
                in = true;
            }
            if (in) {
                body.add(line);
                if (line.equals("}") || (line.startsWith(name + "() {") && line.endsWith("}"))) {
                    return String.join("\n", body) + "\n";
                }
            }
        }
        throw new AssertionError("no function " + name + " in " + SCRIPT);
    }

    private record Run(String output, long millis) {
    }

    private Run bash(String script) throws Exception {
        Path file = dir.resolve("run.sh");
        Files.writeString(file, script);
        long start = System.nanoTime();
        Process p = new ProcessBuilder("bash", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(out, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }

    /** A process that ignores SIGTERM and ends by itself after 2.5 s, stopped with the given seconds. */
    private Run stopSlowProcess(int seconds) throws Exception {
        return bash(function("log") + function("alive") + function("stop_process")
                + "bash -c 'trap \"\" TERM; sleep 2.5' & pid=$!\n"
                + "sleep 0.3\n"
                + "stop_process $pid slowpoke " + seconds + "\n"
                + "wait $pid 2>/dev/null; echo \"stopped, status $?\"\n");
    }

    @Test
    void aProcessIsKilledOnlyAfterTheSecondsItIsGiven() throws Exception {
        Run patient = stopSlowProcess(5);
        Run hasty = stopSlowProcess(1);

        assertThat(patient.output()).doesNotContain("killing").contains("stopped");
        assertThat(patient.millis()).isBetween(2_000L, 5_000L);
        assertThat(hasty.output()).contains("[sluice-local] slowpoke did not stop within 1 s; killing it");
        assertThat(hasty.millis()).isLessThan(2_500L);
    }

    @Test
    void dockerdGetsThirtySecondsAfterTheSessionsContainersAndNetworksAreRemoved() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path fakeDocker = bin.resolve("docker");
        Files.writeString(fakeDocker, "#!/bin/sh\necho \"docker $*\" >> " + dir.resolve("docker.log") + "\n"
                + "case \"$*\" in *ps*) echo c1 ;; *'network ls'*) echo n1 ;; esac\n");
        Files.setPosixFilePermissions(fakeDocker, PosixFilePermissions.fromString("rwx------"));

        Run run = bash("PATH=" + bin + ":$PATH\n" + function("stop_docker")
                + "stop_process() { echo \"stop_process $*\"; }\n"
                + "DOCKERD_PID=4242\nstop_docker\necho \"after: [$DOCKERD_PID]\"\n");

        assertThat(run.output()).contains("stop_process 4242 dockerd 30").contains("after: []");
        assertThat(Files.readAllLines(dir.resolve("docker.log"))).containsExactly(
                "docker ps -aq --filter label=sluice.session", "docker rm -f c1",
                "docker network ls -q --filter label=sluice.session", "docker network rm n1");
    }
}
