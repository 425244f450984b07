package dev.sluice.adapters.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.webhook.DeliveryResult;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import javax.net.ssl.SSLSocketFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The delivery POST against a raw local server: pinned address, no redirects, bounded reads, bounded time. */
class PinnedHttpTransportTest {
    private final PinnedHttpTransport transport = new PinnedHttpTransport(1_000, 1_500, (SSLSocketFactory) SSLSocketFactory.getDefault());
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private ServerSocket server;
    private Thread serving;

    /** Serves each connection with {@code answer}, after recording the request head it read. */
    private int serve(BiConsumer<Socket, OutputStream> answer) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        serving = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                    StringBuilder head = new StringBuilder();
                    for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                        head.append(line).append('\n');
                    }
                    requests.add(head.toString());
                    answer.accept(s, s.getOutputStream());
                } catch (IOException closed) {
                    return;
                }
            }
        });
        serving.setDaemon(true);
        serving.start();
        return server.getLocalPort();
    }

    /**
     * The requests the server took before a marker request sent now: it takes one connection at a time, in order, so
     * a request the transport made (a redirect followed) is recorded before the marker is. Fails when the marker does
     * not arrive in 5 s.
     */
    private List<String> requestsBeforeAMarker(int port) throws Exception {
        try (Socket marker = new Socket(InetAddress.getLoopbackAddress(), port)) {
            marker.getOutputStream().write("GET /marker HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            marker.getOutputStream().flush();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (requests.stream().noneMatch(r -> r.startsWith("GET /marker "))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the marker request was not taken in 5 s; requests: " + requests);
                }
                Thread.sleep(10);
            }
        }
        return requests.stream().takeWhile(r -> !r.startsWith("GET /marker ")).toList();
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    private static void write(OutputStream out, String text) {
        try {
            out.write(text.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void connectsToTheCheckedAddressNeverResolvingTheNameAgain() throws Exception {
        int port = serve((s, out) -> write(out, "HTTP/1.1 204 No Content\r\n\r\n"));
        // the name does not resolve anywhere: only the pinned address can have been used
        DeliveryResult r = transport.post(URI.create("http://hooks.invalid:" + port + "/in?x=1"), InetAddress.getLoopbackAddress(),
                Map.of("webhook-id", "msg_1"), "{}");
        assertThat(r.delivered()).isTrue();
        assertThat(requests.get(0)).startsWith("POST /in?x=1 HTTP/1.1\n").contains("Host: hooks.invalid:" + port, "webhook-id: msg_1",
                "Content-Length: 2");
    }

    @Test
    void aRedirectIsAFailureAndIsNotFollowed() throws Exception {
        int port = serve((s, out) -> write(out, "HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest\r\n\r\n"));
        DeliveryResult r = transport.post(URI.create("http://127.0.0.1:" + port + "/"), InetAddress.getLoopbackAddress(), Map.of(), "{}");
        assertThat(r.delivered()).isFalse();
        assertThat(r.statusCode()).contains(302);
        assertThat(requestsBeforeAMarker(port)).hasSize(1);
    }

    @Test
    void anEndlessAnswerIsNotReadBeyondItsHead() throws Exception {
        int port = serve((s, out) -> {
            write(out, "HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n");
            for (int i = 0; i < 200 && !s.isClosed(); i++) {
                try {
                    write(out, "x".repeat(8192));
                } catch (java.io.UncheckedIOException readerLeft) {
                    return;
                }
            }
        });
        long started = System.nanoTime();
        DeliveryResult r = transport.post(URI.create("http://127.0.0.1:" + port + "/"), InetAddress.getLoopbackAddress(), Map.of(), "{}");
        assertThat(r.statusCode()).contains(200);
        assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(1_500);
    }

    @Test
    void aReceiverThatNeverAnswersFailsWithinTheTotalTimeout() throws Exception {
        int port = serve((s, out) -> {
            try {
                Thread.sleep(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long started = System.nanoTime();
        DeliveryResult r = transport.post(URI.create("http://127.0.0.1:" + port + "/"), InetAddress.getLoopbackAddress(), Map.of(), "{}");
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        assertThat(r.delivered()).isFalse();
        assertThat(r.statusCode()).isEmpty();
        assertThat(r.error()).isPresent();
        assertThat(tookMs).isBetween(1_000L, 3_000L);
    }

    @Test
    void garbageInsteadOfHttpIsAFailureNamingIt() throws Exception {
        int port = serve((s, out) -> write(out, "SSH-2.0-OpenSSH_9.6\r\n\r\n"));
        DeliveryResult r = transport.post(URI.create("http://127.0.0.1:" + port + "/"), InetAddress.getLoopbackAddress(), Map.of(), "{}");
        assertThat(r.delivered()).isFalse();
        assertThat(r.error()).hasValueSatisfying(e -> assertThat(e).contains("not an HTTP status line"));
        assertThat(new ArrayList<>(requests)).hasSize(1);
    }
}
