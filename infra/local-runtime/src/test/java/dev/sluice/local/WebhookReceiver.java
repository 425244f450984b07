package dev.sluice.local;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.adapters.json.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The node receiver of infra/local/webhook-receiver, installed once with {@code npm ci} into target/ and run as a
 * real process: it verifies every delivery with the Standard Webhooks reference library (npm standardwebhooks).
 */
final class WebhookReceiver implements AutoCloseable {
    private static final Path SOURCE = LocalStack.ROOT.resolve("infra/local/webhook-receiver");
    private static final Path INSTALLED = LocalStack.ROOT.resolve("infra/local-runtime/target/webhook-receiver");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Process process;
    final int port;

    private WebhookReceiver(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts a receiver on {@code port} (0: a free one). */
    static WebhookReceiver start(int port) throws IOException, InterruptedException {
        install();
        Process p = new ProcessBuilder("node", "receiver.js", Integer.toString(port)).directory(INSTALLED.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith("LISTENING ")) {
            p.destroyForcibly();
            throw new IllegalStateException("the webhook receiver did not start: " + line);
        }
        return new WebhookReceiver(p, Integer.parseInt(line.substring("LISTENING ".length()).trim()));
    }

    private static synchronized void install() throws IOException, InterruptedException {
        Files.createDirectories(INSTALLED);
        for (String f : List.of("package.json", "package-lock.json", "receiver.js")) {
            Files.copy(SOURCE.resolve(f), INSTALLED.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        if (Files.isDirectory(INSTALLED.resolve("node_modules/standardwebhooks"))) {
            return;
        }
        Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(INSTALLED.toFile())
                .redirectErrorStream(true).redirectOutput(INSTALLED.resolve("npm-ci.log").toFile()).start();
        if (npm.waitFor() != 0) {
            throw new IllegalStateException("npm ci failed; see " + INSTALLED.resolve("npm-ci.log"));
        }
    }

    String url(String endpoint) {
        return "http://127.0.0.1:" + port + "/hooks/" + endpoint;
    }

    void configure(String endpoint, List<String> secrets, int status) {
        send("PUT", "/control/" + endpoint, Json.write(Map.of("secrets", secrets, "status", status)));
    }

    List<JsonNode> deliveries(String endpoint) {
        JsonNode all = readTree(send("GET", "/control/" + endpoint + "/deliveries", null));
        List<JsonNode> out = new ArrayList<>();
        all.forEach(out::add);
        return out;
    }

    /** Waits until the deliveries of {@code endpoint} satisfy {@code done} and returns them; fails the test when they do not in time. */
    List<JsonNode> await(String endpoint, Predicate<List<JsonNode>> done, Duration within) throws InterruptedException {
        Instant deadline = Instant.now().plus(within);
        List<JsonNode> got = deliveries(endpoint);
        while (!done.test(got) && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
            got = deliveries(endpoint);
        }
        if (!done.test(got)) {
            throw new AssertionError("the deliveries to " + endpoint + " did not get there within " + within + ": " + got);
        }
        return got;
    }

    private String send(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException(method + " " + path + " -> " + r.statusCode());
            }
            return r.body();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode readTree(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stops the receiver (a receiver that is down: connections are refused). */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor();
    }
}
