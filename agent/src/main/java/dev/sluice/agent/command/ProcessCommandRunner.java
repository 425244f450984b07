package dev.sluice.agent.command;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Runs commands as child processes; both output streams are drained concurrently so a chatty program never blocks. */
public final class ProcessCommandRunner implements CommandRunner {

    @Override
    public CommandResult run(Command command) {
        Process process;
        try {
            process = new ProcessBuilder(command.argv()).redirectErrorStream(command.mergeStderr()).start();
        } catch (IOException e) {
            // ProcessBuilder reports a program missing from PATH (or not executable) as an IOException at start.
            return CommandResult.notFound(e.getMessage());
        }
        try {
            process.getOutputStream().close();
            CompletableFuture<String> out = drain(process.getInputStream());
            CompletableFuture<String> err = drain(process.getErrorStream());
            boolean ended;
            if (command.timeout().isPresent()) {
                ended = process.waitFor(command.timeout().get().toMillis(), TimeUnit.MILLISECONDS);
            } else {
                process.waitFor();
                ended = true;
            }
            if (!ended) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                return CommandResult.timedOut(out.completeOnTimeout("", 1, TimeUnit.SECONDS).get(),
                        err.completeOnTimeout("", 1, TimeUnit.SECONDS).get());
            }
            return CommandResult.exited(process.exitValue(), out.get(), err.get());
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            return CommandResult.timedOut("", "interrupted");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("reading the output of " + command.program(), e.getCause());
        }
    }

    private static CompletableFuture<String> drain(InputStream stream) {
        CompletableFuture<String> text = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (stream) {
                text.complete(new String(stream.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                text.complete("");
            }
        }, "command-output");
        reader.setDaemon(true);
        reader.start();
        return text;
    }
}
