package dev.sluice.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;

/**
 * A tiny Docker registry for tests (no registry is reachable here): the Registry HTTP API v2 over plain HTTP on
 * 127.0.0.1, which the engine treats as an insecure registry by default, serving one image as a schema2 manifest, its
 * config blob and its layer blobs (gzipped). The image is the test image with {@code extraLayers} layers of random
 * bytes on top, built locally and taken apart with {@code docker save}; the built image is removed again, so the
 * engine must download its new layers (the base layer is "Already exists"). Layers are served at
 * {@code bytesPerSecond} per connection, so a pull can be watched while it goes.
 */
final class TestRegistry implements AutoCloseable {
    static final String MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final String repository;
    private final String tag;
    private final byte[] manifest;
    private final String manifestDigest;
    private final Map<String, byte[]> blobs = new LinkedHashMap<>();
    private final List<Long> layerSizes = new ArrayList<>();
    private final List<String> layerDigests = new ArrayList<>();
    private final long bytesPerSecond;
    /** Every request, as "METHOD path". */
    final List<String> requests = new CopyOnWriteArrayList<>();

    private TestRegistry(Path dir, String baseImage, int extraLayers, int layerBytes, long bytesPerSecond) throws Exception {
        this.repository = "sluice-test/pullme";
        this.tag = "t" + UUID.randomUUID().toString().substring(0, 8);
        this.bytesPerSecond = bytesPerSecond;
        String built = "sluice-test/pullme-src:" + tag;
        Path context = Files.createDirectories(dir.resolve("context"));
        StringBuilder dockerfile = new StringBuilder("FROM " + baseImage + "\n");
        Random random = new Random(UUID.randomUUID().getMostSignificantBits()); // new bytes each run: never "Already exists"
        for (int i = 1; i <= extraLayers; i++) {
            byte[] data = new byte[layerBytes];
            random.nextBytes(data);
            Files.write(context.resolve("layer" + i + ".bin"), data);
            dockerfile.append("COPY layer").append(i).append(".bin /data/layer").append(i).append(".bin\n");
        }
        Files.writeString(context.resolve("Dockerfile"), dockerfile);
        run("docker", "build", "-q", "-t", built, context.toString());
        Path saved = dir.resolve("image.tar");
        Path unpacked = Files.createDirectories(dir.resolve("image"));
        try {
            run("docker", "save", "-o", saved.toString(), built);
        } finally {
            run("docker", "rmi", "-f", built);
        }
        run("tar", "-xf", saved.toString(), "-C", unpacked.toString());
        JsonNode saveManifest = JSON.readTree(unpacked.resolve("manifest.json").toFile()).get(0);
        byte[] config = Files.readAllBytes(unpacked.resolve(saveManifest.path("Config").asText()));
        ObjectNode m = JSON.createObjectNode();
        m.put("schemaVersion", 2);
        m.put("mediaType", MANIFEST_TYPE);
        ObjectNode c = m.putObject("config");
        c.put("mediaType", "application/vnd.docker.container.image.v1+json");
        c.put("size", config.length);
        c.put("digest", put(config));
        var layers = m.putArray("layers");
        JsonNode tars = saveManifest.path("Layers");
        for (int i = 0; i < tars.size(); i++) {
            byte[] gz = gzip(Files.readAllBytes(unpacked.resolve(tars.get(i).asText())));
            ObjectNode l = layers.addObject();
            l.put("mediaType", "application/vnd.docker.image.rootfs.diff.tar.gzip");
            l.put("size", gz.length);
            l.put("digest", put(gz));
            layerDigests.add(l.path("digest").asText());
            layerSizes.add((long) gz.length);
        }
        this.manifest = JSON.writeValueAsBytes(m);
        this.manifestDigest = digest(manifest);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "test-registry");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/v2/", this::handle);
        server.start();
    }

    /** A registry serving the test image plus {@code extraLayers} new layers of {@code layerBytes} random bytes each. */
    static TestRegistry serving(Path dir, String baseImage, int extraLayers, int layerBytes, long bytesPerSecond) throws Exception {
        return new TestRegistry(dir, baseImage, extraLayers, layerBytes, bytesPerSecond);
    }

    /** {@code 127.0.0.1:<port>/sluice-test/pullme:<tag>}. */
    String reference() {
        return "127.0.0.1:" + server.getAddress().getPort() + "/" + repository + ":" + tag;
    }

    /** The bytes of the layer blobs the engine fetched (each once): what a pull's progress must end at. */
    long servedLayerBytes() {
        return requests.stream().filter(r -> r.startsWith("GET ") && r.contains("/blobs/")).map(r -> r.substring(r.lastIndexOf('/') + 1))
                .distinct().filter(layerDigests::contains).mapToLong(d -> blobs.get(d).length).sum();
    }

    /** All the image's layers, the base ones included. */
    int layers() {
        return layerSizes.size();
    }

    private String put(byte[] blob) throws Exception {
        String d = digest(blob);
        blobs.put(d, blob);
        return d;
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            String path = x.getRequestURI().getPath();
            requests.add(x.getRequestMethod() + " " + path);
            boolean head = x.getRequestMethod().equals("HEAD");
            x.getResponseHeaders().add("Docker-Distribution-API-Version", "registry/2.0");
            String prefix = "/v2/" + repository + "/";
            if (path.equals("/v2/")) {
                send(x, 200, "application/json", "{}".getBytes(StandardCharsets.UTF_8), head, 0);
            } else if (path.equals(prefix + "manifests/" + tag) || path.equals(prefix + "manifests/" + manifestDigest)) {
                x.getResponseHeaders().add("Docker-Content-Digest", manifestDigest);
                send(x, 200, MANIFEST_TYPE, manifest, head, 0);
            } else if (path.startsWith(prefix + "blobs/") && blobs.containsKey(path.substring((prefix + "blobs/").length()))) {
                String d = path.substring((prefix + "blobs/").length());
                x.getResponseHeaders().add("Docker-Content-Digest", d);
                send(x, 200, "application/octet-stream", blobs.get(d), head, bytesPerSecond);
            } else {
                send(x, 404, "application/json", "{\"errors\":[{\"code\":\"NAME_UNKNOWN\",\"message\":\"not here\"}]}"
                        .getBytes(StandardCharsets.UTF_8), head, 0);
            }
        }
    }

    private static void send(HttpExchange x, int status, String type, byte[] body, boolean head, long rate) throws IOException {
        x.getResponseHeaders().add("Content-Type", type);
        if (head) {
            x.getResponseHeaders().add("Content-Length", Long.toString(body.length));
            x.sendResponseHeaders(status, -1);
            return;
        }
        x.sendResponseHeaders(status, body.length);
        OutputStream out = x.getResponseBody();
        int piece = 16 * 1024;
        for (int off = 0; off < body.length; off += piece) {
            int n = Math.min(piece, body.length - off);
            out.write(body, off, n);
            out.flush();
            if (rate > 0) {
                try {
                    TimeUnit.MICROSECONDS.sleep(n * 1_000_000L / rate);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
        }
    }

    static String digest(byte[] bytes) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    private static void run(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", argv) + " failed: " + out.trim());
        }
    }

    /** Stops serving and removes the pulled image from the engine. */
    @Override
    public void close() throws Exception {
        server.stop(0);
        Process p = new ProcessBuilder("docker", "rmi", "-f", reference()).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes(); // absent when the pull never happened: nothing to remove
        p.waitFor(60, TimeUnit.SECONDS);
    }
}
