package dev.sluice.local;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.adapters.json.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** The npm {@code eventsource} client (pinned in src/test/node), run as a process: a real SSE client reading a stream. */
final class SseClient implements AutoCloseable {
    static final Path DIR = LocalStack.ROOT.resolve("infra/local-runtime/src/test/node");

    private final Process process;
    final List<JsonNode> events = new CopyOnWriteArrayList<>();
    private final Thread reader;

    private SseClient(Process process) {
        this.process = process;
        this.reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("{")) {
                        events.add(Json.MAPPER.readTree(line));
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        reader.start();
    }

    static synchronized void install() throws IOException, InterruptedException {
        if (Files.isDirectory(DIR.resolve("node_modules/eventsource"))) {
            return;
        }
        Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(DIR.toFile()).inheritIO().start();
        if (!npm.waitFor(120, TimeUnit.SECONDS) || npm.exitValue() != 0) {
            throw new IllegalStateException("npm ci failed in " + DIR);
        }
    }

    static SseClient open(String url, String token) throws IOException, InterruptedException {
        install();
        Process p = new ProcessBuilder("node", "sse-client.mjs", url, token, "180000").directory(DIR.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        return new SseClient(p);
    }

    /** Waits for the client to exit; its exit code (0: a final event was read). */
    int waitForEnd(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroy();
            throw new AssertionError("the SSE client did not finish in " + seconds + " s; events so far: " + events);
        }
        reader.join(5000);
        return process.exitValue();
    }

    @Override
    public void close() {
        process.destroy();
    }
}
