package dev.sluice.local;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.adapters.json.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** The npm {@code eventsource} client (pinned in src/test/node), run as a process: a real SSE client reading a stream. */
final class SseClient implements AutoCloseable {
    static final Path DIR = NodeClients.DIR;

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

    static SseClient open(String url, String token) throws IOException, InterruptedException {
        NodeClients.install();
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
