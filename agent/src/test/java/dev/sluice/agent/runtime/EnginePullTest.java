package dev.sluice.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine pull over a unix socket, against a scripted engine: the HTTP it sends, the stream it sums, its failures. */
class EnginePullTest {
    @TempDir
    Path dir;
    private ServerSocketChannel server;
    private final List<String> requests = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    /** An engine that answers one connection with {@code answer} (given the request line), written in pieces. */
    private Path engine(Function<String, List<String>> answer) throws IOException {
        Path socket = dir.resolve("docker.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread t = new Thread(() -> {
            try (SocketChannel c = server.accept()) {
                ByteBuffer in = ByteBuffer.allocate(8192);
                StringBuilder request = new StringBuilder();
                while (!request.toString().contains("\r\n\r\n") && c.read(in) > 0) {
                    in.flip();
                    request.append(StandardCharsets.US_ASCII.decode(in));
                    in.clear();
                }
                requests.add(request.toString());
                for (String piece : answer.apply(request.toString())) {
                    c.write(ByteBuffer.wrap(piece.getBytes(StandardCharsets.UTF_8)));
                    Thread.sleep(5);
                }
            } catch (IOException | InterruptedException e) {
                // the test ends
            }
        });
        t.setDaemon(true);
        t.start();
        return socket;
    }

    private static String chunk(String text) {
        return Integer.toHexString(text.getBytes(StandardCharsets.UTF_8).length) + "\r\n" + text + "\r\n";
    }

    private static final List<String> STREAM = List.of(
            "{\"status\":\"Pulling from sluice-test/pullme\",\"id\":\"t1\"}",
            "{\"status\":\"Already exists\",\"progressDetail\":{},\"id\":\"base\"}",
            "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"aaa\"}",
            "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"bbb\"}",
            "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":100,\"total\":1000},\"id\":\"aaa\"}",
            "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":500,\"total\":2000},\"id\":\"bbb\"}",
            "{\"status\":\"Download complete\",\"progressDetail\":{},\"id\":\"aaa\"}",
            "{\"status\":\"Extracting\",\"progressDetail\":{\"current\":1000,\"total\":1000},\"id\":\"aaa\"}",
            "{\"status\":\"Pull complete\",\"progressDetail\":{},\"id\":\"aaa\"}",
            "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":1500,\"total\":2000},\"id\":\"bbb\"}",
            "{\"status\":\"Download complete\",\"progressDetail\":{},\"id\":\"bbb\"}",
            "{\"status\":\"Pull complete\",\"progressDetail\":{},\"id\":\"bbb\"}",
            "{\"status\":\"Digest: sha256:abc\"}",
            "{\"status\":\"Status: Downloaded newer image for 127.0.0.1:5000/sluice-test/pullme:t1\"}");

    @Test
    void aChunkedStreamIsSummedIntoBytesAndLayersEndingAtTheTotals() throws Exception {
        Path socket = engine(request -> {
            List<String> out = new ArrayList<>(List.of("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n"));
            // Lines split across chunks, as the engine's writes fall.
            String all = String.join("\r\n", STREAM) + "\r\n";
            for (int i = 0; i < all.length(); i += 97) {
                out.add(chunk(all.substring(i, Math.min(all.length(), i + 97))));
            }
            out.add("0\r\n\r\n");
            return out;
        });
        List<EnginePull.Progress> heard = new ArrayList<>();
        Optional<String> error = new EnginePull(socket).pull("127.0.0.1:5000/sluice-test/pullme:t1", Duration.ofSeconds(10), heard::add);

        assertThat(error).isEmpty();
        assertThat(requests).singleElement().asString()
                .startsWith("POST /images/create?fromImage=127.0.0.1%3A5000%2Fsluice-test%2Fpullme&tag=t1 HTTP/1.1\r\n");
        assertThat(heard).isNotEmpty();
        assertThat(heard.get(heard.size() - 1)).isEqualTo(new EnginePull.Progress(3000, 3000, 3, 3));
        for (int i = 1; i < heard.size(); i++) {
            assertThat(heard.get(i).bytesDone()).isGreaterThanOrEqualTo(heard.get(i - 1).bytesDone());
            assertThat(heard.get(i).layersDone()).isGreaterThanOrEqualTo(heard.get(i - 1).layersDone());
        }
        assertThat(heard).as("every completed layer is heard").extracting(EnginePull.Progress::layersDone).contains(1, 2, 3);
    }

    @Test
    void anErrorLineEndsThePullWithTheEnginesReason() throws Exception {
        Path socket = engine(request -> List.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                chunk("{\"status\":\"Pulling from x\",\"id\":\"latest\"}\r\n"),
                chunk("{\"errorDetail\":{\"message\":\"manifest unknown: manifest unknown\"},\"error\":\"manifest unknown\"}\r\n"),
                "0\r\n\r\n"));
        assertThat(new EnginePull(socket).pull("x", Duration.ofSeconds(10), p -> { })).contains("manifest unknown: manifest unknown");
        assertThat(requests).singleElement().asString().startsWith("POST /images/create?fromImage=x&tag=latest ");
    }

    @Test
    void aRefusedPullSaysTheStatusAndTheEnginesMessage() throws Exception {
        String body = "{\"message\":\"pull access denied for nope, repository does not exist\"}";
        Path socket = engine(request -> List.of("HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length() + "\r\n\r\n" + body));
        assertThat(new EnginePull(socket).pull("nope:1", Duration.ofSeconds(10), p -> { }))
                .contains("the engine refused the pull (HTTP 404): pull access denied for nope, repository does not exist");
    }

    @Test
    void aPullPastItsTimeIsCutOff() throws Exception {
        Path socket = engine(request -> {
            try {
                Thread.sleep(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return List.of();
        });
        // The watchdog is held after its close until the pull has answered: the read is woken while the watchdog
        // still lives (the order that made a timeout look like a broken socket now and then), every time.
        CountDownLatch answered = new CountDownLatch(1);
        EnginePull pull = new EnginePull(socket, () -> {
            long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (answered.getCount() > 0 && System.nanoTime() < until) {
                try {
                    answered.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    // the pull's end interrupts the watchdog; it still waits for the test
                }
            }
        });
        long start = System.nanoTime();
        try {
            assertThatThrownBy(() -> pull.pull("slow:1", Duration.ofMillis(300), p -> { }))
                    .isInstanceOf(EnginePull.TimedOut.class).hasMessageContaining("took longer than");
        } finally {
            answered.countDown();
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
    }

    @Test
    void referencesSplitIntoNameAndTagOrDigestAsDockerPullDoes() {
        assertThat(EnginePull.split("busybox")).containsExactly("busybox", "latest");
        assertThat(EnginePull.split("127.0.0.1:5000/a/b")).containsExactly("127.0.0.1:5000/a/b", "latest");
        assertThat(EnginePull.split("127.0.0.1:5000/a/b:v1")).containsExactly("127.0.0.1:5000/a/b", "v1");
        assertThat(EnginePull.split("a/b@sha256:00ff")).containsExactly("a/b", "sha256:00ff");
    }

    @Test
    void onlyALocalUnixSocketIsUsed() throws Exception {
        Path socket = Files.createFile(dir.resolve("engine.sock"));
        assertThat(EnginePull.onThisHost(Map.of("DOCKER_HOST", "unix://" + socket))).isPresent();
        assertThat(EnginePull.onThisHost(Map.of("DOCKER_HOST", "unix://" + dir.resolve("none.sock")))).isEmpty();
        assertThat(EnginePull.onThisHost(Map.of("DOCKER_HOST", "tcp://10.0.0.1:2376"))).isEmpty();
        assertThat(EnginePull.onThisHost(Map.of("DOCKER_HOST", "unix://" + socket, "DOCKER_CONTEXT", "remote"))).isEmpty();
    }
}
