package dev.sluice.agent.command;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessCommandRunnerTest {

    private final ProcessCommandRunner runner = new ProcessCommandRunner();

    @Test
    void capturesStdoutStderrAndExitCode() {
        CommandResult result = runner.run(Command.of(Duration.ofSeconds(10),
                List.of("sh", "-c", "echo out; echo err >&2; exit 3")));

        assertThat(result.outcome()).isEqualTo(CommandResult.Outcome.EXITED);
        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.stdout()).isEqualTo("out\n");
        assertThat(result.stderr()).isEqualTo("err\n");
        assertThat(result.succeeded()).isFalse();
        assertThat(result.failureDescription("sh")).isEqualTo("sh exited 3: err");
    }

    @Test
    void mergedStderrArrivesInStdoutInOrder() {
        CommandResult result = runner.run(Command.of(Duration.ofSeconds(10),
                List.of("sh", "-c", "echo one; echo two >&2; echo three")).mergingStderr());

        assertThat(result.stdout()).isEqualTo("one\ntwo\nthree\n");
        assertThat(result.succeeded()).isTrue();
    }

    @Test
    void aMissingProgramIsNotFoundNotAnException() {
        CommandResult result = runner.run(Command.of(Duration.ofSeconds(10), List.of("sluice-no-such-program-x")));

        assertThat(result.outcome()).isEqualTo(CommandResult.Outcome.NOT_FOUND);
        assertThat(result.failureDescription("x")).startsWith("x: program not found");
    }

    @Test
    void aProgramPastItsTimeoutIsKilledAndReportedAsTimedOut() {
        long start = System.nanoTime();
        CommandResult result = runner.run(Command.of(Duration.ofMillis(300), List.of("sleep", "30")));

        assertThat(result.outcome()).isEqualTo(CommandResult.Outcome.TIMED_OUT);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aCommandNeedsAProgram() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Command.unlimited(List.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
