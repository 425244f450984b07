package dev.sluice.agent.command;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Predicate;

/**
 * A {@link CommandRunner} that answers from a script: the first rule whose predicate matches the argument vector
 * gives the result. Records every command it was asked to run. A rule may block until released (for
 * {@code docker wait}).
 */
public final class FakeCommandRunner implements CommandRunner {

    private final List<Rule> rules = new ArrayList<>();
    private final List<Command> seen = java.util.Collections.synchronizedList(new ArrayList<>());

    private record Rule(Predicate<List<String>> when, Deque<CommandResult> results, CountDownLatch gate) {
    }

    /** Answers commands whose argv starts with {@code prefix} with {@code result} (the last one repeats). */
    public FakeCommandRunner on(List<String> prefix, CommandResult... results) {
        return when(argv -> argv.size() >= prefix.size() && argv.subList(0, prefix.size()).equals(prefix), null, results);
    }

    /** Like {@link #on} but the command blocks until {@code gate} is counted down. */
    public FakeCommandRunner onBlocking(List<String> prefix, CountDownLatch gate, CommandResult result) {
        return when(argv -> argv.size() >= prefix.size() && argv.subList(0, prefix.size()).equals(prefix), gate, result);
    }

    public FakeCommandRunner when(Predicate<List<String>> when, CountDownLatch gate, CommandResult... results) {
        rules.add(new Rule(when, new ArrayDeque<>(List.of(results)), gate));
        return this;
    }

    @Override
    public CommandResult run(Command command) {
        seen.add(command);
        for (Rule rule : rules) {
            if (rule.when().test(command.argv())) {
                if (rule.gate() != null) {
                    try {
                        rule.gate().await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                synchronized (rule.results()) {
                    return rule.results().size() > 1 ? rule.results().poll() : rule.results().peek();
                }
            }
        }
        return CommandResult.notFound("no scripted answer for " + command.argv());
    }

    public List<Command> commands() {
        synchronized (seen) {
            return List.copyOf(seen);
        }
    }

    /** The argument vectors run, in order. */
    public List<List<String>> argvs() {
        return commands().stream().map(Command::argv).toList();
    }

}
