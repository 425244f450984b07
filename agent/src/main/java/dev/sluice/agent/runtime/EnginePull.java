package dev.sluice.agent.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.URLEncoder;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Pulls an image through the Docker engine's API ({@code POST /images/create}) on its unix socket, to follow the pull
 * as it goes: {@code docker pull} prints progress for a terminal, not for a program, while the engine streams one JSON
 * object a line with each layer's bytes ({@code progressDetail.current/total}). Minimal HTTP/1.1 over a Java 17
 * {@link SocketChannel} to a {@link UnixDomainSocketAddress}: no client library in the agent's jar.
 *
 * <p>Used only where the engine listens on a local unix socket ({@code DOCKER_HOST} unset or {@code unix://}); the
 * runtime falls back to {@code docker pull} when this fails, so registry credentials the CLI knows (its config file,
 * credential helpers) still apply. Everything else stays with the {@code docker} CLI.
 */
public final class EnginePull {
    /** The default socket of a Docker engine on Linux. */
    public static final Path DEFAULT_SOCKET = Path.of("/var/run/docker.sock");
    /** Progress is passed on at most this often (and whenever a layer completes, and at the end). */
    static final long PROGRESS_EVERY_MILLIS = 250;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path socket;
    /** Runs on the watchdog's thread after it closed a pull's socket (a test holds the watchdog there). */
    private final Runnable afterCutOff;

    public EnginePull(Path socket) {
        this(socket, () -> { });
    }

    EnginePull(Path socket, Runnable afterCutOff) {
        this.socket = socket;
        this.afterCutOff = afterCutOff;
    }

    /**
     * The engine's socket as {@code DOCKER_HOST} names it (unset: the default socket), if it is a unix socket that
     * exists; empty otherwise (a TCP or SSH engine, a context: the CLI's own pull is used).
     */
    public static Optional<EnginePull> onThisHost(Map<String, String> env) {
        String host = env.get("DOCKER_HOST");
        Path path;
        if (host == null || host.isBlank()) {
            path = DEFAULT_SOCKET;
        } else if (host.startsWith("unix://")) {
            path = Path.of(host.substring("unix://".length()));
        } else {
            return Optional.empty();
        }
        return Files.exists(path) && env.get("DOCKER_CONTEXT") == null ? Optional.of(new EnginePull(path)) : Optional.empty();
    }

    /** How far a pull is: bytes downloaded of the layers whose size is known so far, and layers done of those seen. */
    public record Progress(long bytesDone, long bytesTotal, int layersDone, int layersTotal) {
    }

    /**
     * Pulls {@code image}; {@code progress} hears how far it is while it goes, and once more at its end. Returns empty
     * when the image is now on the host, else the engine's reason as a sentence.
     *
     * @throws IOException when the engine's socket does not answer (or the pull took longer than {@code timeout})
     */
    public Optional<String> pull(String image, Duration timeout, Consumer<Progress> progress) throws IOException {
        String[] ref = split(image);
        String target = "/images/create?fromImage=" + URLEncoder.encode(ref[0], StandardCharsets.UTF_8)
                + "&tag=" + URLEncoder.encode(ref[1], StandardCharsets.UTF_8);
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            AtomicBoolean timedOut = new AtomicBoolean();
            Thread watchdog = watchdog(channel, timeout, timedOut);
            try {
                String request = "POST " + target + " HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n"
                        + "Connection: close\r\n\r\n";
                ByteBuffer out = ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII));
                while (out.hasRemaining()) {
                    channel.write(out);
                }
                return read(new java.io.BufferedInputStream(Channels.newInputStream(channel), 16 * 1024), progress);
            } catch (IOException e) {
                // the watchdog says so before it closes the socket: its close wakes this read before it ends itself
                if (timedOut.get()) {
                    throw new TimedOut("the pull of " + image + " took longer than " + timeout.toSeconds() + " s", e);
                }
                throw e;
            } finally {
                watchdog.interrupt();
            }
        }
    }

    /** The pull did not end within its time. */
    public static final class TimedOut extends IOException {
        TimedOut(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** {@code [name, tag-or-digest]}: {@code latest} when the reference names neither, as {@code docker pull} does. */
    static String[] split(String image) {
        int at = image.indexOf('@');
        if (at >= 0) {
            return new String[] {image.substring(0, at), image.substring(at + 1)};
        }
        int slash = image.lastIndexOf('/');
        int colon = image.indexOf(':', slash + 1);
        return colon < 0 ? new String[] {image, "latest"} : new String[] {image.substring(0, colon), image.substring(colon + 1)};
    }

    private Thread watchdog(SocketChannel channel, Duration timeout, AtomicBoolean timedOut) {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(timeout.toMillis());
            } catch (InterruptedException done) {
                return; // the pull ended first
            }
            timedOut.set(true);
            try {
                channel.close(); // unblocks the read
            } catch (IOException ignored) {
                // closed already
            }
            afterCutOff.run();
        }, "engine-pull-timeout");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static Optional<String> read(InputStream in, Consumer<Progress> progress) throws IOException {
        String statusLine = line(in);
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("the engine answered something that is not HTTP: " + statusLine);
        }
        int status = Integer.parseInt(parts[1]);
        boolean chunked = false;
        long length = -1;
        for (String h = line(in); !h.isEmpty(); h = line(in)) {
            String lower = h.toLowerCase(java.util.Locale.ROOT);
            if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            } else if (lower.startsWith("content-length:")) {
                length = Long.parseLong(h.substring(h.indexOf(':') + 1).trim());
            }
        }
        InputStream body = chunked ? new Chunked(in) : length >= 0 ? new Limited(in, length) : in;
        if (status != 200) {
            String text = new String(body.readAllBytes(), StandardCharsets.UTF_8).trim();
            String message = text;
            try {
                message = JSON.readTree(text).path("message").asText(text);
            } catch (IOException notJson) {
                // the text as it is
            }
            return Optional.of("the engine refused the pull (HTTP " + status + "): " + message);
        }
        Tally tally = new Tally(progress);
        ByteArrayOutputStream lineBytes = new ByteArrayOutputStream();
        int b;
        while ((b = body.read()) >= 0) {
            if (b != '\n') {
                lineBytes.write(b);
                continue;
            }
            Optional<String> error = tally.line(lineBytes.toString(StandardCharsets.UTF_8));
            lineBytes.reset();
            if (error.isPresent()) {
                return error;
            }
        }
        Optional<String> error = tally.line(lineBytes.toString(StandardCharsets.UTF_8));
        tally.end();
        return error;
    }

    /** Sums the engine's per-layer lines into one {@link Progress}. */
    static final class Tally {
        private final Consumer<Progress> progress;
        private final Set<String> layers = new LinkedHashSet<>();
        private final Set<String> done = new LinkedHashSet<>();
        private final Map<String, long[]> bytes = new LinkedHashMap<>();
        private Progress last;
        private long lastAt;

        Tally(Consumer<Progress> progress) {
            this.progress = progress;
        }

        /** One line of the stream; an error line ends the pull with its message. */
        Optional<String> line(String text) throws IOException {
            if (text.isBlank()) {
                return Optional.empty();
            }
            JsonNode m = JSON.readTree(text);
            if (m.hasNonNull("error")) {
                return Optional.of(m.path("errorDetail").path("message").asText(m.path("error").asText()));
            }
            String id = m.path("id").asText("");
            String status = m.path("status").asText("");
            if (id.isEmpty() || status.startsWith("Pulling from")) {
                return Optional.empty();
            }
            layers.add(id);
            boolean layerDone = false;
            switch (status) {
                case "Downloading" -> {
                    JsonNode d = m.path("progressDetail");
                    if (d.path("total").asLong(0) > 0) {
                        bytes.put(id, new long[] {d.path("current").asLong(0), d.path("total").asLong()});
                    }
                }
                case "Verifying Checksum", "Download complete" -> {
                    long[] b = bytes.get(id);
                    if (b != null) {
                        b[0] = b[1];
                    }
                }
                case "Pull complete", "Already exists" -> {
                    long[] b = bytes.get(id);
                    if (b != null) {
                        b[0] = b[1];
                    }
                    layerDone = done.add(id);
                }
                default -> {
                }
            }
            emit(layerDone);
            return Optional.empty();
        }

        void end() {
            emit(true);
        }

        private void emit(boolean now) {
            long bytesDone = 0;
            long bytesTotal = 0;
            for (long[] b : bytes.values()) {
                bytesDone += b[0];
                bytesTotal += b[1];
            }
            Progress p = new Progress(bytesDone, bytesTotal, done.size(), layers.size());
            long at = System.currentTimeMillis();
            if (!p.equals(last) && (now || at - lastAt >= PROGRESS_EVERY_MILLIS)) {
                last = p;
                lastAt = at;
                progress.accept(p);
            }
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                b.write(c);
            }
        }
        if (c < 0 && b.size() == 0) {
            throw new IOException("the engine closed the connection before answering");
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    /** A chunked body, decoded. */
    private static final class Chunked extends InputStream {
        private final InputStream in;
        private long left;
        private boolean ended;

        Chunked(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            if (ended) {
                return -1;
            }
            if (left == 0) {
                String size = line(in);
                if (size.isEmpty()) { // the CRLF after a chunk
                    size = line(in);
                }
                int semi = size.indexOf(';');
                left = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                if (left == 0) {
                    ended = true;
                    return -1;
                }
            }
            int c = in.read();
            if (c < 0) {
                throw new IOException("the engine's answer ended inside a chunk");
            }
            left--;
            return c;
        }
    }

    private static final class Limited extends InputStream {
        private final InputStream in;
        private long left;

        Limited(InputStream in, long length) {
            this.in = in;
            this.left = length;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            left--;
            return in.read();
        }
    }
}
