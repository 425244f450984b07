package dev.sluice.agent.command;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * One host command to run: its argument vector (never a shell line), how long it may take, and whether its stderr
 * is read interleaved into stdout (for logs, where the order of the two streams matters).
 *
 * @param timeout empty = no limit (a {@code docker wait} that lasts as long as the session)
 */
public record Command(List<String> argv, Optional<Duration> timeout, boolean mergeStderr) {

    public Command {
        argv = List.copyOf(argv);
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("a command needs at least a program name");
        }
    }

    public static Command of(Duration timeout, List<String> argv) {
        return new Command(argv, Optional.of(timeout), false);
    }

    public static Command unlimited(List<String> argv) {
        return new Command(argv, Optional.empty(), false);
    }

    public Command mergingStderr() {
        return new Command(argv, timeout, true);
    }

    public String program() {
        return argv.get(0);
    }
}
