package dev.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.sluice.agent.runtime.SessionRuntime;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Copying folders in and out around a runtime, against a bucket served in this JVM through "presigned" URLs. */
class StagingTest {
    @TempDir
    Path work;

    /** The folder bucket: GET and PUT of objects by path, as presigned URLs would reach S3. */
    private HttpServer s3;
    private final Map<String, byte[]> objects = new ConcurrentHashMap<>();
    private String base;

    /** The agent API's mount routes over that bucket: pages of two files, uploads only for writable mounts. */
    class Api implements ControlPlaneClient {
        final List<String> calls = new CopyOnWriteArrayList<>();
        int uploadStatus = 200;

        @Override public Reply heartbeat(Map<String, Object> body) { throw new UnsupportedOperationException(); }
        @Override public Reply putLogs(String sessionId, String text) { throw new UnsupportedOperationException(); }
        @Override public Reply status(String sessionId, Map<String, Object> step) { throw new UnsupportedOperationException(); }

        @Override
        public Reply mountFiles(String sessionId, String mount, Optional<String> cursor) {
            calls.add("files " + mount + " " + cursor.orElse("-"));
            String prefix = mount + "/";
            List<String> keys = new TreeMap<>(objects).keySet().stream().filter(k -> k.startsWith(prefix)).toList();
            int from = cursor.map(Integer::parseInt).orElse(0);
            ObjectNode page = MountStager.JSON.createObjectNode();
            ArrayNode items = page.putArray("items");
            for (String k : keys.subList(from, Math.min(keys.size(), from + 2))) {
                items.addObject().put("path", k.substring(prefix.length())).put("size", objects.get(k).length).put("url", base + "/" + k);
            }
            if (from + 2 < keys.size()) {
                page.put("next_cursor", Integer.toString(from + 2));
            } else {
                page.putNull("next_cursor");
            }
            return new Reply(200, page);
        }

        @Override
        public Reply mountUpload(String sessionId, String mount, String path, long size) {
            calls.add("upload " + mount + " " + path + " " + size);
            if (uploadStatus != 200) {
                return new Reply(uploadStatus, MountStager.JSON.createObjectNode().set("error",
                        MountStager.JSON.createObjectNode().put("message", "folder 'out' is delete-ongoing")));
            }
            return new Reply(200, MountStager.JSON.createObjectNode().put("method", "PUT").put("url", base + "/" + mount + "/" + path));
        }
    }

    private final Api api = new Api();

    @BeforeEach
    void serve() throws IOException {
        s3 = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s3.createContext("/", exchange -> {
            String key = exchange.getRequestURI().getPath().substring(1);
            if (exchange.getRequestMethod().equals("PUT")) {
                objects.put(key, exchange.getRequestBody().readAllBytes());
                exchange.sendResponseHeaders(200, -1);
            } else {
                byte[] data = objects.get(key);
                if (data == null) {
                    exchange.sendResponseHeaders(404, -1);
                } else {
                    exchange.sendResponseHeaders(200, data.length);
                    exchange.getResponseBody().write(data);
                }
            }
            exchange.close();
        });
        s3.start();
        base = "http://127.0.0.1:" + s3.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        s3.stop(0);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void stageInCopiesEveryPageOfTheFolderAndStageOutSavesOnlyWhatChanged() throws Exception {
        objects.put("data/a.txt", bytes("alpha"));
        objects.put("data/dir/b.txt", bytes("beta"));
        objects.put("data/dir/deep/c.bin", new byte[70_000]);
        objects.put("other/secret.txt", bytes("not mounted"));
        MountStager stager = new MountStager(api);
        Path target = work.resolve("mounts/s-1/data");

        MountStager.Moved in = stager.stageIn("s-1", "data", target, work.resolve("state/data"));

        assertThat(in.files()).isEqualTo(3);
        assertThat(in.bytes()).isEqualTo(5 + 4 + 70_000);
        assertThat(Files.readString(target.resolve("a.txt"))).isEqualTo("alpha");
        assertThat(Files.readString(target.resolve("dir/b.txt"))).isEqualTo("beta");
        assertThat(Files.size(target.resolve("dir/deep/c.bin"))).isEqualTo(70_000);
        assertThat(api.calls).as("two pages").containsExactly("files data -", "files data 2");
        try (var files = Files.walk(target)) {
            assertThat(files.filter(Files::isRegularFile).count()).as("no manifest or partial file inside the mount").isEqualTo(3);
        }

        Files.writeString(target.resolve("dir/b.txt"), "beta, edited");
        Files.createDirectories(target.resolve("results"));
        Files.writeString(target.resolve("results/out.csv"), "x,y\n");
        api.calls.clear();

        MountStager.Moved out = stager.stageOut("s-1", "data", target, work.resolve("state/data"));

        assertThat(api.calls).containsExactlyInAnyOrder("upload data dir/b.txt 12", "upload data results/out.csv 4");
        assertThat(out.files()).isEqualTo(2);
        assertThat(new String(objects.get("data/dir/b.txt"), StandardCharsets.UTF_8)).isEqualTo("beta, edited");
        assertThat(new String(objects.get("data/results/out.csv"), StandardCharsets.UTF_8)).isEqualTo("x,y\n");
        assertThat(objects.get("data/a.txt")).as("unchanged files are not sent again").isEqualTo(bytes("alpha"));
    }

    @Test
    void aLinkTheWorkloadLeftInAWritableFolderIsNeverFollowedOnTheWayOut() throws Exception {
        objects.put("out/a.txt", bytes("alpha"));
        MountStager stager = new MountStager(api);
        Path target = work.resolve("mounts/s-9/out");
        stager.stageIn("s-9", "out", target, work.resolve("state/out"));
        Path secret = Files.writeString(work.resolve("agent-token"), "do not upload");
        Files.createSymbolicLink(target.resolve("token-link"), secret);
        Files.createDirectories(work.resolve("host-dir"));
        Files.writeString(work.resolve("host-dir/shadow"), "root:x");
        Files.createSymbolicLink(target.resolve("dir-link"), work.resolve("host-dir"));
        Files.writeString(target.resolve("result.txt"), "42");
        api.calls.clear();

        stager.stageOut("s-9", "out", target, work.resolve("state/out"));

        assertThat(api.calls).containsExactly("upload out result.txt 2");
        assertThat(objects).doesNotContainKeys("out/token-link", "out/dir-link/shadow");
    }

    @Test
    void aPathThatWouldLeaveTheFolderIsRefused() throws Exception {
        Path root = work.resolve("m");
        Files.createDirectories(root);
        Path real = root.toRealPath();
        assertThatThrownBy(() -> MountStager.inside(real, "../escape.txt")).isInstanceOf(IOException.class).hasMessageContaining("outside");
        assertThatThrownBy(() -> MountStager.inside(real, "/etc/passwd")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> MountStager.inside(real, "a/../../x")).isInstanceOf(IOException.class);
        assertThat(MountStager.inside(real, "a/./b.txt")).isEqualTo(real.resolve("a/b.txt"));
    }

    @Test
    void aFileThatCannotBeDownloadedFailsTheStagingNamingIt() {
        ControlPlaneClient lying = new Api() {
            @Override
            public Reply mountFiles(String sessionId, String mount, Optional<String> cursor) {
                ObjectNode page = MountStager.JSON.createObjectNode();
                page.putArray("items").addObject().put("path", "missing.txt").put("size", 3).put("url", base + "/data/missing.txt");
                page.putNull("next_cursor");
                return new Reply(200, page);
            }
        };
        assertThatThrownBy(() -> new MountStager(lying).stageIn("s-1", "data", work.resolve("x/data"), work.resolve("x/.staging/data")))
                .isInstanceOf(IOException.class).hasMessageContaining("missing.txt").hasMessageContaining("404");
        assertThat(work.resolve("x/data/missing.txt")).doesNotExist();
        assertThat(work.resolve("x/data/missing.txt.part")).doesNotExist();
    }

    // ---------------------------------------------------------------- around a runtime

    /** Records what it was asked to run; the test ends workloads by hand. */
    static final class Recording implements SessionRuntime {
        final List<Assignment> started = new CopyOnWriteArrayList<>();
        final Map<String, Listener> listeners = new ConcurrentHashMap<>();
        final CountDownLatch startedOne = new CountDownLatch(1);

        @Override public String name() { return "recording"; }

        @Override
        public void start(Assignment a, Listener listener) {
            started.add(a);
            listeners.put(a.sessionId(), listener);
            listener.preparing();
            listener.running("pid-1", Map.of());
            startedOne.countDown();
        }

        final List<String> stops = new CopyOnWriteArrayList<>();

        @Override
        public void stop(String sessionId, Duration grace) {
            stops.add(sessionId);
            Listener l = listeners.get(sessionId);
            if (l != null) {
                l.exited(143);
            }
        }
        @Override public List<Workload> discover() { return List.of(); }
        @Override public void reattach(String sessionId, Listener listener) { listeners.put(sessionId, listener); }
        @Override public void remove(String sessionId) { }
        @Override public Optional<String> logs(String sessionId, int lines) { return Optional.empty(); }
    }

    /** What the agent loop would hear. */
    static final class Heard implements SessionRuntime.Listener {
        final List<String> steps = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch ended = new CountDownLatch(1);

        @Override public void preparing() { steps.add("preparing"); }
        @Override public void running(String containerId, Map<String, Object> devices) { steps.add("running"); }
        @Override public void exited(int exitCode) { steps.add("exited " + exitCode); ended.countDown(); }
        @Override public void failed(String message) { steps.add("failed " + message); ended.countDown(); }
        @Override public void failed(String reason, String message) { steps.add("failed " + reason + ": " + message); ended.countDown(); }
        @Override public void facts(dev.sluice.protocol.SessionRuntimeFacts facts) { steps.add("facts " + facts.toJson()); }
    }

    private static Assignment assignment(String session, Assignment.Mount... mounts) {
        return new Assignment(session, session + "-0", "batch", "python:3.12", Map.of("cpu", "1"), List.of(), Map.of(), List.of(mounts),
                Optional.of("true"), "main", 0, Optional.empty());
    }

    @Test
    void foldersAreCopiedInBeforeTheRuntimeStartsAndWritableOnesSavedBeforeTheEndIsHeard() throws Exception {
        objects.put("data/in.txt", bytes("input"));
        objects.put("out/old.txt", bytes("old"));
        Recording inner = new Recording();
        StagingRuntime staging = new StagingRuntime(inner, new MountStager(api), work);
        Heard heard = new Heard();

        staging.start(assignment("s-2", new Assignment.Mount("data", "folders/f-1/", "ro", "/home/work/data"),
                new Assignment.Mount("out", "folders/f-2/", "rw", "/home/work/out"),
                new Assignment.Mount("scratch", "/scratch", "rw", "/scratch")), heard);
        assertThat(inner.startedOne.await(10, TimeUnit.SECONDS)).isTrue();

        Assignment run = inner.started.get(0);
        Path data = Path.of(run.mounts().get(0).location());
        Path out = Path.of(run.mounts().get(1).location());
        assertThat(data).isEqualTo(work.resolve("mounts/s-2/data").toAbsolutePath());
        assertThat(Files.readString(data.resolve("in.txt"))).isEqualTo("input");
        assertThat(Files.readString(out.resolve("old.txt"))).isEqualTo("old");
        assertThat(run.mounts().get(2).location()).as("a host directory is left as it is").isEqualTo("/scratch");
        assertThat(heard.steps).as("one PREPARING, for the copy and the start").containsExactly("preparing", "running");

        Files.writeString(out.resolve("model.pt"), "weights");
        Files.writeString(data.resolve("scribble.txt"), "in a read-only folder");
        inner.listeners.get("s-2").exited(0);

        assertThat(heard.steps).last().isEqualTo("exited 0");
        assertThat(new String(objects.get("out/model.pt"), StandardCharsets.UTF_8)).isEqualTo("weights");
        assertThat(objects).as("read-only folders are never saved").doesNotContainKey("data/scribble.txt");
        assertThat(api.calls).filteredOn(c -> c.startsWith("upload")).containsExactly("upload out model.pt 7");

        staging.remove("s-2");
        assertThat(work.resolve("mounts/s-2")).doesNotExist();
    }

    @Test
    void noFailureMessageShowsTheAgentsHostPaths() throws Exception {
        Recording inner = new Recording();
        StagingRuntime staging = new StagingRuntime(inner, new MountStager(api), work);
        Heard heard = new Heard();
        staging.start(assignment("s-9", new Assignment.Mount("in", "folders/f-1/", "ro", "/home/work/in")), heard);
        assertThat(inner.startedOne.await(10, TimeUnit.SECONDS)).isTrue();
        Path mount = Path.of(inner.started.get(0).mounts().get(0).location());
        assertThat(mount.toString()).as("the mount is a host path").startsWith(work.toAbsolutePath().toString());

        inner.listeners.get("s-9").failed("runtime-error", "cannot open " + mount.resolve("a/b.txt") + ": not found (under "
                + work.toAbsolutePath().resolve("images/x") + ", in " + mount.getParent() + ")");

        assertThat(heard.steps).last().asString()
                .isEqualTo("failed runtime-error: cannot open in/a/b.txt: not found (under <agent>/images/x, in the session's directory)")
                .doesNotContain(work.toAbsolutePath().toString());
    }

    @Test
    void theRuntimesFactsReachTheAgentThroughStagingWithAndWithoutFolders() throws Exception {
        dev.sluice.protocol.SessionRuntimeFacts facts = dev.sluice.protocol.SessionRuntimeFacts.EMPTY
                .withPull(new dev.sluice.protocol.SessionRuntimeFacts.PullProgress(5, 10, 0, 2));
        Recording inner = new Recording();
        StagingRuntime staging = new StagingRuntime(inner, new MountStager(api), work);
        Heard plain = new Heard();
        staging.start(assignment("s-11"), plain);
        inner.listeners.get("s-11").facts(facts);
        assertThat(plain.steps).containsExactly("preparing", "running", "facts " + facts.toJson());

        objects.put("data/in.txt", bytes("input"));
        Heard withFolder = new Heard();
        staging.start(assignment("s-12", new Assignment.Mount("data", "folders/f-1/", "ro", "/home/work/data")), withFolder);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!inner.listeners.containsKey("s-12") && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(inner.listeners).as("the runtime was started after the copy").containsKey("s-12");
        inner.listeners.get("s-12").facts(facts);
        assertThat(withFolder.steps).containsExactly("preparing", "running", "facts " + facts.toJson());
    }

    @Test
    void aStagingFailureNamesTheFileRelativeToTheSessionNotTheHost() {
        Heard heard = new Heard();
        SessionRuntime.Listener scrubbed = new StagingRuntime(new Recording(), new MountStager(api), work).withoutHostPaths("s-8", heard);
        scrubbed.failed("folder-staging-failed", "could not copy: " + work.toAbsolutePath().resolve("mounts/s-8/coll.parts/x") + " exists");
        assertThat(heard.steps).containsExactly("failed folder-staging-failed: could not copy: coll.parts/x exists");
    }

    @Test
    void aFolderThatCannotBeSavedEndsTheSessionInErrorInsteadOfASuccess() throws Exception {
        Recording inner = new Recording();
        StagingRuntime staging = new StagingRuntime(inner, new MountStager(api), work);
        Heard heard = new Heard();
        staging.start(assignment("s-3", new Assignment.Mount("out", "folders/f-2/", "rw", "/home/work/out")), heard);
        assertThat(inner.startedOne.await(10, TimeUnit.SECONDS)).isTrue();
        Files.writeString(Path.of(inner.started.get(0).mounts().get(0).location()).resolve("result.txt"), "42");
        api.uploadStatus = 409;

        inner.listeners.get("s-3").exited(0);

        assertThat(heard.steps).last().asString().startsWith("failed folder-save-failed: the workload ended (exit code 0)")
                .contains("delete-ongoing");
    }

    @Test
    void aFolderThatCannotBeCopiedInFailsTheSessionBeforeAnythingRuns() throws Exception {
        ControlPlaneClient refusing = new Api() {
            @Override
            public Reply mountFiles(String sessionId, String mount, Optional<String> cursor) {
                return new Reply(404, MountStager.JSON.createObjectNode().put("error", "no session"));
            }
        };
        Recording inner = new Recording();
        Heard heard = new Heard();
        new StagingRuntime(inner, new MountStager(refusing), work)
                .start(assignment("s-4", new Assignment.Mount("data", "folders/f-1/", "ro", "/home/work/data")), heard);

        assertThat(heard.ended.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(heard.steps).containsExactly("preparing", "failed folder-staging-failed: could not copy the session's folders onto the host: "
                + "listing folder 'data' answered 404: {\"error\":\"no session\"}");
        assertThat(inner.started).isEmpty();
    }

    @Test
    void aSessionWithoutFoldersGoesStraightToTheRuntime() {
        Recording inner = new Recording();
        Heard heard = new Heard();
        new StagingRuntime(inner, new MountStager(api), work).start(assignment("s-5"), heard);
        assertThat(inner.started).hasSize(1);
        assertThat(api.calls).isEmpty();
        assertThat(work.resolve("mounts/s-5")).doesNotExist();
    }

    @Test
    void anyFailureWhileCopyingInEndsTheSessionInsteadOfLeavingItPreparing() throws Exception {
        ControlPlaneClient broken = new Api() {
            @Override
            public Reply mountFiles(String sessionId, String mount, Optional<String> cursor) {
                throw new IllegalStateException("Unable to load credentials from any of the providers in the chain");
            }
        };
        Recording inner = new Recording();
        Heard heard = new Heard();
        StagingRuntime staging = new StagingRuntime(inner, new MountStager(broken), work);
        staging.start(assignment("s-6", new Assignment.Mount("data", "folders/f-1/", "ro", "/home/work/data")), heard);

        assertThat(heard.ended.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(heard.steps).last().asString().startsWith("failed folder-staging-failed").contains("credentials");
        staging.stop("s-6", Duration.ZERO);
        assertThat(inner.started).isEmpty();
        assertThat(inner.stops).as("a later stop is not swallowed as if still staging").containsExactly("s-6");
    }

    @Test
    void aStopWhileCopyingInEndsTheSessionWithoutStartingIt() throws Exception {
        objects.put("data/a.txt", bytes("alpha"));
        CountDownLatch listing = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        ControlPlaneClient slow = new Api() {
            @Override
            public Reply mountFiles(String sessionId, String mount, Optional<String> cursor) {
                listing.countDown();
                try {
                    stopped.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.mountFiles(sessionId, mount, cursor);
            }
        };
        Recording inner = new Recording();
        Heard heard = new Heard();
        StagingRuntime staging = new StagingRuntime(inner, new MountStager(slow), work);
        staging.start(assignment("s-7", new Assignment.Mount("data", "folders/f-1/", "ro", "/home/work/data")), heard);
        assertThat(listing.await(10, TimeUnit.SECONDS)).isTrue();

        staging.stop("s-7", Duration.ZERO);
        stopped.countDown();

        assertThat(heard.ended.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(heard.steps).containsExactly("preparing", "exited 143");
        assertThat(inner.started).isEmpty();
    }

    @Test
    void theCopiesAreOpenToAWorkloadRunningAsAnotherUserReadOnlyOnesOnlyForReading() throws Exception {
        objects.put("data/a.txt", bytes("alpha"));
        objects.put("out/b.txt", bytes("beta"));
        Recording inner = new Recording();
        StagingRuntime staging = new StagingRuntime(inner, new MountStager(api), work);
        staging.start(assignment("s-8", new Assignment.Mount("data", "folders/f-1/", "ro", "/d"),
                new Assignment.Mount("out", "folders/f-2/", "rw", "/o")), new Heard());
        assertThat(inner.startedOne.await(10, TimeUnit.SECONDS)).isTrue();
        Path data = Path.of(inner.started.get(0).mounts().get(0).location());
        Path out = Path.of(inner.started.get(0).mounts().get(1).location());

        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(data))).isEqualTo("rwxr-xr-x");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("a.txt"))))
                .isEqualTo("rw-r--r--");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(out))).isEqualTo("rwxrwxrwx");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("b.txt"))))
                .isEqualTo("rw-rw-rw-");
        try (var left = Files.list(data.getParent())) {
            assertThat(left.map(p -> p.getFileName().toString())).as("no download leftovers beside the copies")
                    .noneMatch(n -> n.endsWith(".parts"));
        }
    }

    /**
     * Names that could reach another folder's staging state, today's or an earlier layout's: a folder's partial
     * downloads ({@code <x>.parts}), its manifest ({@code <x>.sluice-manifest.json}), and whatever the state directory
     * holds ({@code parts}, {@code manifest.json}, {@code staging}, {@code writable}).
     */
    static final List<String> COLLIDING = List.of("coll", "coll.parts", "coll.part", "coll.sluice-manifest.json", "coll.parts.parts",
            "mf", "mf.sluice-manifest.json", "parts", "manifest.json", "staging", "writable", "coll.staging", "coll.manifest.json",
            "sluice-manifest.json", "coll.writable");

    /** All in one session, in both orders: every pair of names is staged with each of the two first. */
    @org.junit.jupiter.params.ParameterizedTest(name = "reversed={0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void foldersWhoseNamesCouldCollideWithAnothersStagingStateAreEachCopiedInAndSavedWhole(boolean reversed) throws Exception {
        List<String> names = new ArrayList<>(COLLIDING);
        if (reversed) {
            Collections.reverse(names);
        }
        List<Assignment.Mount> mounts = new ArrayList<>();
        for (String name : names) {
            objects.put(name + "/in.txt", bytes("input of " + name));
            objects.put(name + "/sub/deep.txt", bytes("deep of " + name));
            objects.put(name + "/x.part", bytes("a file of " + name + " that ends in .part"));
            mounts.add(new Assignment.Mount(name, "folders/f-" + name + "/", "rw", "/home/work/" + name));
        }
        Recording inner = new Recording();
        StagingRuntime staging = new StagingRuntime(inner, new MountStager(api), work);
        Heard heard = new Heard();
        staging.start(assignment("s-c", mounts.toArray(Assignment.Mount[]::new)), heard);
        assertThat(inner.startedOne.await(20, TimeUnit.SECONDS)).as(heard.steps.toString()).isTrue();

        Assignment run = inner.started.get(0);
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            Path dir = Path.of(run.mounts().get(i).location());
            assertThat(dir.getFileName().toString()).isEqualTo(name);
            try (var files = Files.walk(dir)) {
                assertThat(files.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).sorted().toList())
                        .as("folder %s holds its own files and nothing else", name).containsExactly("in.txt", "sub/deep.txt", "x.part");
            }
            assertThat(Files.readString(dir.resolve("in.txt"))).isEqualTo("input of " + name);
            Files.writeString(dir.resolve("sub/deep.txt"), "changed in " + name);
        }
        api.calls.clear();
        inner.listeners.get("s-c").exited(0);

        assertThat(heard.steps).last().isEqualTo("exited 0");
        assertThat(api.calls).as("each folder saves exactly its one changed file: every manifest was its own")
                .containsExactlyInAnyOrderElementsOf(COLLIDING.stream().map(n -> "upload " + n + " sub/deep.txt " + ("changed in " + n).length()).toList());
        for (String name : COLLIDING) {
            assertThat(new String(objects.get(name + "/sub/deep.txt"), StandardCharsets.UTF_8)).isEqualTo("changed in " + name);
        }
    }

    @Test
    void aNameThatIsNoFolderNameIsRefusedBeforeItTouchesTheDisk() throws Exception {
        for (String bad : List.of("..", ".staging", "a/b", ".writable")) {
            Recording inner = new Recording();
            Heard heard = new Heard();
            new StagingRuntime(inner, new MountStager(api), work).start(assignment("s-bad", new Assignment.Mount(bad, "folders/x/", "rw", "/x")), heard);
            assertThat(heard.ended.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(heard.steps).last().asString().isEqualTo("failed folder-staging-failed: could not copy the session's folders onto the host: '"
                    + bad + "' is not a folder name");
            assertThat(inner.started).isEmpty();
        }
    }

    @Test
    void aFileThatCannotBeWrittenFailsTheStagingSayingWhyWithoutTheHostsPaths() throws Exception {
        objects.put("data/a", bytes("a file"));
        objects.put("data/a/b", bytes("a file below a file"));
        Recording inner = new Recording();
        Heard heard = new Heard();
        new StagingRuntime(inner, new MountStager(api), work).start(assignment("s-5", new Assignment.Mount("data", "folders/f-1/", "ro", "/d")), heard);
        assertThat(heard.ended.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(heard.steps).last().asString().startsWith("failed folder-staging-failed: could not copy the session's folders onto the host: "
                + "file 'a").doesNotContain(work.toString())
                .containsPattern("file 'a(/b)?' of folder 'data' cannot be written: (a file of the folder has the name of its directory|it is also a directory of the folder)");
        assertThat(inner.started).isEmpty();
    }
}
