package dev.sluice.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Copies a session's folders onto the host before its workload starts, and saves a writable folder's new and changed
 * files back when it ends — through presigned URLs the control plane hands out for that session only, so the agent
 * holds no S3 permission. Each folder lands in a directory of its own; a manifest of what was copied in (path → size and
 * modification time) tells what changed. The manifest and the partial downloads live in a separate state directory
 * that the caller keeps where no folder's name can reach it (a folder named {@code data.parts} beside {@code data} must
 * never be taken for {@code data}'s temporary files). Files deleted by the workload are not deleted from the folder.
 */
public final class MountStager {
    static final ObjectMapper JSON = new ObjectMapper();
    /** Inside the mount's state directory: what was copied in, and where downloads are written before they move. */
    static final String MANIFEST = "manifest.json";
    static final String PARTS = "parts";
    private static final int PARALLEL = 8;

    private final ControlPlaneClient client;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    public MountStager(ControlPlaneClient client) {
        this.client = client;
    }

    /** What a stage step moved. */
    public record Moved(int files, long bytes) {
    }

    /**
     * Copies every file of the mounted folder into {@code target}, keeping its manifest and partial downloads in
     * {@code state} (a directory of this mount's own, outside {@code target}); fails with a message naming the folder.
     */
    public Moved stageIn(String sessionId, String mount, Path target, Path state) throws IOException, InterruptedException {
        Files.createDirectories(target);
        Path root = target.toRealPath();
        Path parts = Files.createDirectories(state.resolve(PARTS));
        Map<String, long[]> manifest = new TreeMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL, r -> {
            Thread t = new Thread(r, "stage-in-" + sessionId);
            t.setDaemon(true);
            return t;
        });
        int files = 0;
        long bytes = 0;
        try {
            Optional<String> cursor = Optional.empty();
            do {
                ControlPlaneClient.Reply page = client.mountFiles(sessionId, mount, cursor);
                if (!page.ok()) {
                    throw new IOException("listing folder '" + mount + "' answered " + page.status() + ": " + page.body());
                }
                List<Future<Path>> downloads = new ArrayList<>();
                for (JsonNode item : page.body().path("items")) {
                    String path = item.path("path").asText();
                    Path file = inside(root, path);
                    URI url = URI.create(item.path("url").asText());
                    long size = item.path("size").asLong();
                    downloads.add(pool.submit(() -> download(url, mount, path, file, size, parts)));
                    bytes += size;
                    files++;
                }
                for (Future<Path> f : downloads) {
                    Path file = await(f);
                    manifest.put(root.relativize(file).toString(), new long[] {Files.size(file), Files.getLastModifiedTime(file).toMillis()});
                }
                JsonNode next = page.body().path("next_cursor");
                cursor = next.isTextual() ? Optional.of(next.asText()) : Optional.empty();
            } while (cursor.isPresent());
        } finally {
            pool.shutdownNow();
            // Downloads still under way after a failed one would write their parts while they are cleaned up (and a
            // "directory not empty" from the cleanup would hide the failure that stopped the staging): wait for them.
            try {
                pool.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try (Stream<Path> left = Files.list(parts)) {
                for (Path p : left.toList()) {
                    Files.deleteIfExists(p);
                }
                Files.deleteIfExists(parts);
            } catch (IOException leftOver) {
                // Partial downloads left in the staging's private state directory go with the session's directory;
                // never a reason to fail a staging that worked, nor to hide why one failed.
            }
        }
        JSON.writeValue(state.resolve(MANIFEST).toFile(), manifest);
        return new Moved(files, bytes);
    }

    /**
     * Saves the files under {@code source} that are new or changed since {@link #stageIn} (by the manifest it left in
     * {@code state}) into the mounted folder.
     */
    public Moved stageOut(String sessionId, String mount, Path source, Path state) throws IOException, InterruptedException {
        Path manifestFile = state.resolve(MANIFEST);
        Map<String, List<Long>> before = Files.exists(manifestFile)
                ? JSON.readValue(manifestFile.toFile(), JSON.getTypeFactory().constructMapType(TreeMap.class,
                        JSON.getTypeFactory().constructType(String.class),
                        JSON.getTypeFactory().constructCollectionType(List.class, Long.class)))
                : Map.of();
        Path root = source.toRealPath();
        List<Path> changed;
        try (Stream<Path> walk = Files.walk(root)) {
            // Only regular files, never through a link: a workload (in a container especially) could otherwise point
            // a symlink at a file of the host — the agent's token, /etc/shadow — and have the agent upload it.
            changed = walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).filter(p -> {
                List<Long> was = before.get(root.relativize(p).toString());
                try {
                    return was == null || was.get(0) != Files.size(p) || was.get(1) != Files.getLastModifiedTime(p).toMillis();
                } catch (IOException e) {
                    return true;
                }
            }).sorted().toList();
        }
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL, r -> {
            Thread t = new Thread(r, "stage-out-" + sessionId);
            t.setDaemon(true);
            return t;
        });
        long bytes = 0;
        try {
            List<Future<Path>> uploads = new ArrayList<>();
            for (Path file : changed) {
                String path = root.relativize(file).toString().replace(java.io.File.separatorChar, '/');
                long size = Files.size(file);
                bytes += size;
                uploads.add(pool.submit(() -> {
                    if (!file.toRealPath().startsWith(root)) {
                        throw new IOException("'" + path + "' leads outside folder '" + mount + "'; not saved");
                    }
                    ControlPlaneClient.Reply target = client.mountUpload(sessionId, mount, path, size);
                    if (!target.ok()) {
                        throw new IOException("saving '" + path + "' to folder '" + mount + "' answered " + target.status() + ": "
                                + target.body().path("error").path("message").asText(target.body().toString()));
                    }
                    HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(target.body().path("url").asText()))
                            .timeout(Duration.ofMinutes(30)).PUT(HttpRequest.BodyPublishers.ofFile(file)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (put.statusCode() / 100 != 2) {
                        throw new IOException("uploading '" + path + "' to folder '" + mount + "' answered " + put.statusCode());
                    }
                    return file;
                }));
            }
            for (Future<Path> f : uploads) {
                await(f);
            }
        } finally {
            pool.shutdownNow();
        }
        return new Moved(changed.size(), bytes);
    }

    private Path download(URI url, String mount, String path, Path file, long size, Path parts) throws IOException, InterruptedException {
        try {
            Files.createDirectories(file.getParent());
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw new IOException("file '" + path + "' of folder '" + mount + "' cannot be written: a file of the folder has the name of its directory");
        }
        // In the mount's state directory, never in the folder's: a file of the folder may itself end in ".part".
        Path part = Files.createTempFile(parts, "download-", ".part");
        HttpResponse<Path> r = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofMinutes(30)).build(),
                HttpResponse.BodyHandlers.ofFile(part));
        if (r.statusCode() != 200) {
            Files.deleteIfExists(part);
            throw new IOException("downloading '" + file.getFileName() + "' answered " + r.statusCode());
        }
        if (Files.size(part) != size) {
            Files.deleteIfExists(part);
            throw new IOException("downloading '" + file.getFileName() + "' gave " + Files.size(part) + " bytes of " + size);
        }
        try {
            return Files.move(part, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (java.nio.file.FileSystemException e) {
            Files.deleteIfExists(part);
            throw new IOException("file '" + path + "' of folder '" + mount + "' cannot be written: " + (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)
                    ? "it is also a directory of the folder (other files lie below it)" : String.valueOf(e.getReason())));
        }
    }

    /** The file a folder path names, refusing any path that would leave the folder's directory. */
    static Path inside(Path root, String path) throws IOException {
        Path file = root.resolve(path).normalize();
        if (path.isEmpty() || path.startsWith("/") || !file.startsWith(root) || file.equals(root)) {
            throw new IOException("the folder holds a path outside it: '" + path + "'");
        }
        return file;
    }

    private static Path await(Future<Path> f) throws IOException, InterruptedException {
        try {
            return f.get();
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof InterruptedException ie) {
                throw ie;
            }
            throw new IOException(cause);
        }
    }
}
