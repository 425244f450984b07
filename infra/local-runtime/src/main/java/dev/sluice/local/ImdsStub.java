package dev.sluice.local;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The instance metadata service of one local instance, as its agent sees it (IMDSv2 only, as an instance launched with
 * {@code HttpTokens=required}): {@code PUT /latest/api/token} with {@code X-aws-ec2-metadata-token-ttl-seconds} (1 to
 * 21600) gives a token, which every {@code GET /latest/meta-data/...} must carry in {@code X-aws-ec2-metadata-token}
 * (401 without a valid one). Served: {@code instance-id}, {@code instance-type}, {@code placement/availability-zone},
 * and {@code spot/instance-action}: 404 until the instance is interrupted, then 200
 * {@code {"action":"terminate","time":"2026-12-03T18:02:00Z"}}. Listens on 127.0.0.1 on a free port; its base URL is
 * the agent's {@code SLUICE_AGENT_IMDS_ENDPOINT}.
 */
final class ImdsStub implements AutoCloseable {
    static final int MAX_TTL_SECONDS = 21600;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final HttpServer server;
    private final String instanceId;
    private final String instanceType;
    private final String zone;
    private final Clock clock;
    private final Map<String, Instant> tokens = new ConcurrentHashMap<>();
    private volatile Instant actionTime;

    private ImdsStub(HttpServer server, String instanceId, String instanceType, String zone, Clock clock) {
        this.server = server;
        this.instanceId = instanceId;
        this.instanceType = instanceType;
        this.zone = zone;
        this.clock = clock;
    }

    static ImdsStub start(String instanceId, String instanceType, String zone, Clock clock) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        ImdsStub stub = new ImdsStub(server, instanceId, instanceType, zone, clock);
        server.createContext("/", stub::handle);
        server.setExecutor(null);
        server.start();
        return stub;
    }

    /** The base URL, as the real one is {@code http://169.254.169.254}. */
    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** From now on {@code spot/instance-action} says the instance is terminated at {@code time}. */
    void interrupt(Instant time) {
        actionTime = time;
    }

    Optional<Instant> interruptedAt() {
        return Optional.ofNullable(actionTime);
    }

    /** The body of {@code spot/instance-action} once interrupted: the time in whole seconds, UTC, as AWS writes it. */
    static String instanceAction(Instant time) {
        return "{\"action\":\"terminate\",\"time\":\"" + time.truncatedTo(ChronoUnit.SECONDS) + "\"}";
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            if (path.equals("/latest/api/token")) {
                if (!method.equals("PUT")) {
                    reply(ex, 405, "text/plain", "");
                    return;
                }
                Optional<Integer> ttl = ttl(ex.getRequestHeaders().getFirst("X-aws-ec2-metadata-token-ttl-seconds"));
                if (ttl.isEmpty()) {
                    reply(ex, 400, "text/plain", "");
                    return;
                }
                byte[] raw = new byte[32];
                RANDOM.nextBytes(raw);
                String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
                Instant now = clock.instant();
                tokens.values().removeIf(expiry -> !expiry.isAfter(now));
                tokens.put(token, now.plusSeconds(ttl.get()));
                ex.getResponseHeaders().set("X-aws-ec2-metadata-token-ttl-seconds", ttl.get().toString());
                reply(ex, 200, "text/plain", token);
                return;
            }
            if (!method.equals("GET") && !method.equals("HEAD")) {
                reply(ex, 405, "text/plain", "");
                return;
            }
            String token = ex.getRequestHeaders().getFirst("X-aws-ec2-metadata-token");
            Instant expiry = token == null ? null : tokens.get(token);
            if (expiry == null || !expiry.isAfter(clock.instant())) {
                reply(ex, 401, "text/plain", "");
                return;
            }
            Optional<String> value = value(path);
            if (value.isEmpty()) {
                reply(ex, 404, "text/html", "");
                return;
            }
            reply(ex, 200, path.endsWith("instance-action") ? "application/json" : "text/plain", value.get());
        }
    }

    private Optional<String> value(String path) {
        return switch (path) {
            case "/latest/meta-data/instance-id" -> Optional.of(instanceId);
            case "/latest/meta-data/instance-type" -> Optional.of(instanceType);
            case "/latest/meta-data/placement/availability-zone" -> Optional.of(zone);
            case "/latest/meta-data/spot/instance-action" -> Optional.ofNullable(actionTime).map(ImdsStub::instanceAction);
            default -> Optional.empty();
        };
    }

    /** A token's lifetime as IMDS takes it: whole seconds from 1 to 21600; anything else is refused. */
    static Optional<Integer> ttl(String header) {
        if (header == null || !header.trim().matches("[0-9]{1,5}")) {
            return Optional.empty();
        }
        int seconds = Integer.parseInt(header.trim());
        return seconds >= 1 && seconds <= MAX_TTL_SECONDS ? Optional.of(seconds) : Optional.empty();
    }

    private static void reply(HttpExchange ex, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", contentType);
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
