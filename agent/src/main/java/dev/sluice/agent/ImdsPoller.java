package dev.sluice.agent;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.protocol.AgentInterruption;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The agent's own check for a spot interruption, the second source beside the control plane's heartbeat answer: the
 * instance metadata service (IMDSv2) at {@code imds.endpoint} ({@code SLUICE_AGENT_IMDS_ENDPOINT}, default
 * {@code http://169.254.169.254}), polled every {@code imds.interval} (5 s) on a daemon thread of its own, so it never
 * holds up the heartbeat. Each poll: a session token ({@code PUT /latest/api/token}, kept for its 6 hours, taken again
 * when refused), then {@code GET /latest/meta-data/spot/instance-action}: 404 (the normal answer) is nothing; 200 with
 * {@code {"action":"terminate","time":...}} is the interruption, handed over once, and polling stops. Requests time out
 * after 1 s.
 *
 * <p>Whether it polls ({@code imds.poll}): {@code auto} polls when the token request is answered within its first
 * three tries (on EC2, or with a local stand-in; off EC2 nothing answers and it stops after them, said once on the
 * log); {@code on} keeps trying; {@code off} never starts.
 */
public final class ImdsPoller {
    static final String TOKEN_PATH = "/latest/api/token";
    static final String ACTION_PATH = "/latest/meta-data/spot/instance-action";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    private static final int AUTO_TRIES = 3;

    private final String base;
    private final String mode;
    private final Duration interval;
    private final Consumer<AgentInterruption.Notice> onNotice;
    private final Consumer<String> log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private volatile boolean running;
    private volatile Thread thread;
    private String token;
    private volatile int polls;

    public ImdsPoller(String base, String mode, Duration interval, Consumer<AgentInterruption.Notice> onNotice, Consumer<String> log) {
        this.base = base.replaceAll("/+$", "");
        this.mode = mode;
        this.interval = interval;
        this.onNotice = onNotice;
        this.log = log;
    }

    /** Starts polling in the background (nothing with {@code imds.poll=off}). */
    public synchronized void start() {
        if (mode.equals("off") || thread != null) {
            return;
        }
        running = true;
        Thread t = new Thread(this::run, "imds-poller");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    public void stop() {
        running = false;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
    }

    /** How many times it asked for spot/instance-action (for tests). */
    public int polls() {
        return polls;
    }

    private void run() {
        int failedTokens = 0;
        boolean answered = false;
        while (running) {
            try {
                Optional<AgentInterruption.Notice> notice = pollOnce();
                answered = true;
                if (notice.isPresent()) {
                    log.accept("{\"level\":\"WARN\",\"event\":\"spot-interruption\",\"source\":\"imds\",\"deadline\":\""
                            + notice.get().deadline() + "\"}");
                    onNotice.accept(notice.get());
                    return;
                }
            } catch (IOException | RuntimeException e) {
                if (!answered && mode.equals("auto") && ++failedTokens >= AUTO_TRIES) {
                    log.accept("{\"level\":\"INFO\",\"event\":\"imds-off\",\"message\":\"no instance metadata service answers at "
                            + base + " (not on EC2): the agent learns of a spot interruption from the control plane only\"}");
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
            try {
                Thread.sleep(interval.toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One poll: the interruption if the metadata service announces one; empty on 404. Throws when it does not answer. */
    Optional<AgentInterruption.Notice> pollOnce() throws IOException, InterruptedException {
        if (token == null) {
            token = token();
        }
        HttpResponse<String> r = action();
        if (r.statusCode() == 401) {
            token = token(); // expired or refused: a new one, once
            r = action();
        }
        polls++;
        if (r.statusCode() == 404) {
            return Optional.empty();
        }
        if (r.statusCode() != 200) {
            throw new IOException("spot/instance-action answered " + r.statusCode());
        }
        Map<String, Object> doc;
        try {
            doc = JSON.readValue(r.body(), new TypeReference<Map<String, Object>>() { });
        } catch (IOException unreadable) {
            return Optional.empty();
        }
        return AgentInterruption.fromInstanceAction(doc);
    }

    private String token() throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + TOKEN_PATH)).timeout(TIMEOUT)
                .header("X-aws-ec2-metadata-token-ttl-seconds", "21600").PUT(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200 || r.body().isBlank()) {
            throw new IOException("the token request answered " + r.statusCode());
        }
        return r.body().trim();
    }

    private HttpResponse<String> action() throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(base + ACTION_PATH)).timeout(TIMEOUT)
                .header("X-aws-ec2-metadata-token", token).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
