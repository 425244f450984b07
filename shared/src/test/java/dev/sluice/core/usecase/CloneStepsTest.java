package dev.sluice.core.usecase;

import dev.sluice.core.json.JsonValue;
import dev.sluice.core.json.JsonObject;
import dev.sluice.core.request.RequestFields;

import dev.sluice.core.folder.FolderSpec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.auth.Principal;
import dev.sluice.core.folder.Folder;
import dev.sluice.core.folder.FolderStatus;
import dev.sluice.core.port.CloneWorkflow;
import dev.sluice.core.port.FolderEvents;
import dev.sluice.core.port.FolderStorage;
import dev.sluice.core.port.FolderStore;
import dev.sluice.core.port.TaskStore;
import dev.sluice.core.task.BackgroundTask;
import dev.sluice.core.task.TaskPhase;
import dev.sluice.core.task.TaskProgress;
import dev.sluice.core.task.TaskStatus;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The clone workflow's steps and the clone/cancel use cases over in-memory ports (no AWS). */
public class CloneStepsTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-25T10:00:00Z"), ZoneOffset.UTC);
    private static final Principal ALICE = new Principal("alice", "alice", Set.of("users"));

    private Objects storage;
    private Folders folders;
    private Tasks tasks;
    private Workflow workflow;
    private FolderCatalog service;
    private FolderClones clones;
    private CloneSteps steps;

    @BeforeEach
    void wire() {
        storage = new Objects();
        folders = new Folders();
        tasks = new Tasks();
        workflow = new Workflow();
        FolderEvents events = new FolderEvents() {
            @Override public void folderStatusChanged(Folder folder, Optional<FolderStatus> previous) { }
            @Override public void taskUpdated(BackgroundTask task, String kind) { }
        };
        AtomicInteger ids = new AtomicInteger();
        service = new FolderCatalog(folders, tasks, storage, events, (owner, folderId, limit) -> List.of(),
                () -> "id-" + ids.incrementAndGet(), CLOCK);
        clones = new FolderClones(service, folders, tasks, storage, workflow, events, () -> "id-" + ids.incrementAndGet(), CLOCK,
                new CloneSettings(10, 2, 1 << 20));
        steps = new CloneSteps(folders, tasks, storage, workflow, events, CLOCK, 4);
    }

    private FolderClones.CloneStarted cloneOf(int objects) {
        Folder source = service.create(ALICE, FolderSpec.parse(RequestFields.of(Map.of("name", "src", "cloneable", true))));
        for (int i = 0; i < objects; i++) {
            storage.objects.put(source.prefix() + String.format("k%03d", i), new byte[i]);
        }
        return clones.clone(ALICE, "src", dev.sluice.core.folder.CloneRequest.parse(RequestFields.of(Map.of("target_name", "dst"))));
    }

    /** Runs the state machine's loop the way the ASL does, continuing as new executions; how many executions ran. */
    private int run(CloneState input) {
        int executions = 0;
        CloneState state = input;
        while (state != null) {
            executions++;
            CloneState s = state.generation() == 0 ? steps.prepare(state) : state;
            CloneState next = null;
            while (true) {
                s = steps.copyPage(s);
                CloneCursor cursor = s.cursor();
                if (!cursor.hasMore()) {
                    steps.finish(s);
                    break;
                }
                if (cursor.pagesHere() >= s.pagesPerExecution()) {
                    steps.continueAsNew(s);
                    next = workflow.inputs.get(workflow.inputs.size() - 1);
                    break;
                }
            }
            state = next;
        }
        return executions;
    }

    @Test
    void aCloneCopiesEveryPageAndContinuesAsNewEveryFewPages() {
        FolderClones.CloneStarted started = cloneOf(45);
        assertThat(folders.find("alice", "src").orElseThrow().status()).isEqualTo(FolderStatus.PERFORMING);
        assertThat(started.target().status()).isEqualTo(FolderStatus.CLONING);
        assertThat(workflow.names).containsExactly("clone-" + started.task().id() + "-0");

        int executions = run(workflow.inputs.get(0));

        assertThat(executions).as("5 pages, 2 per execution").isEqualTo(3);
        assertThat(workflow.names).containsExactly("clone-id-3-0", "clone-id-3-1", "clone-id-3-2");
        assertThat(storage.under(started.target().prefix())).hasSize(45);
        BackgroundTask task = tasks.find(started.task().id()).orElseThrow();
        assertThat(task.status()).isEqualTo(TaskStatus.DONE);
        assertThat(task.progress().objectsDone()).isEqualTo(45);
        assertThat(task.progress().bytesDone()).isEqualTo(45 * 44 / 2);
        assertThat(folders.find("alice", "dst").orElseThrow().status()).isEqualTo(FolderStatus.READY);
        assertThat(folders.find("alice", "src").orElseThrow().status()).isEqualTo(FolderStatus.READY);
    }

    @Test
    void aBigObjectLeftUnfinishedAtTheDeadlineIsResumedByTheNextStepAndItsPageCountedOnce() {
        FolderClones.CloneStarted started = cloneOf(15);
        Folder source = folders.find("alice", "src").orElseThrow();
        storage.stopsLeft.put(source.prefix() + "k012", 2);
        CloneState prepared = steps.prepare(workflow.inputs.get(0));

        CloneState first = steps.copyPage(prepared, Duration.ofSeconds(300));
        assertThat(storage.deadlines).allMatch(d -> d.equals(CLOCK.instant().plus(Duration.ofSeconds(240))));
        assertThat(first.cursor().pagesDone()).as("the first page is counted; the second waits for k012").isEqualTo(1);
        assertThat(first.cursor().hasMore()).isTrue();
        assertThat(storage.uploads).containsExactly(started.target().prefix() + "k012");

        CloneState second = steps.copyPage(first, Duration.ofSeconds(30));
        assertThat(storage.deadlines.get(storage.deadlines.size() - 1)).as("at least a few seconds, however little time is left")
                .isEqualTo(CLOCK.instant().plus(Duration.ofSeconds(5)));
        assertThat(second.cursor().pagesDone()).isEqualTo(1);
        CloneState third = steps.copyPage(second, Duration.ofSeconds(300));
        assertThat(third.cursor()).isEqualTo(new CloneCursor(Optional.empty(), 2, 2, false));
        assertThat(storage.uploads).isEmpty();
        assertThat(storage.under(started.target().prefix())).hasSize(15);
        BackgroundTask task = tasks.find(started.task().id()).orElseThrow();
        assertThat(task.progress().objectsDone()).as("each page counted once").isEqualTo(15);
        assertThat(task.progress().pagesDone()).isEqualTo(2);
    }

    @Test
    void aRetriedStepCountsItsPagesOnce() {
        FolderClones.CloneStarted started = cloneOf(15);
        CloneState prepared = steps.prepare(workflow.inputs.get(0));
        CloneState after = steps.copyPage(prepared);
        steps.copyPage(prepared);
        BackgroundTask task = tasks.find(started.task().id()).orElseThrow();
        assertThat(task.progress().objectsDone()).isEqualTo(15);
        assertThat(task.progress().pagesDone()).as("two pages, each counted once").isEqualTo(2);
        assertThat(after.cursor()).isEqualTo(new CloneCursor(java.util.Optional.empty(), 2, 2, false));
    }

    @Test
    void aSourceThatChangedFailsVerificationAndCleanupUndoesEverything() {
        FolderClones.CloneStarted started = cloneOf(15);
        CloneState prepared = steps.prepare(workflow.inputs.get(0));
        String sourcePrefix = folders.find("alice", "src").orElseThrow().prefix();
        storage.objects.remove(storage.under(sourcePrefix).get(14));
        CloneState last = steps.copyPage(prepared);
        assertThatThrownBy(() -> steps.finish(last)).isInstanceOf(CloneSteps.CloneFailed.class).hasMessageContaining("15 objects were counted, 14 copied");

        CloneState failed = last.withFailure(CloneState.Failure.of("CloneFailed", "{\"errorMessage\":\"the source changed\",\"errorType\":\"x\"}"));
        steps.cleanup(failed);
        steps.cleanup(failed);
        assertThat(storage.under(started.target().prefix())).isEmpty();
        assertThat(folders.find("alice", "dst").orElseThrow().status()).isEqualTo(FolderStatus.ERROR);
        assertThat(folders.find("alice", "src").orElseThrow().status()).isEqualTo(FolderStatus.READY);
        BackgroundTask task = tasks.find(started.task().id()).orElseThrow();
        assertThat(task.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(task.error()).contains("the source changed");
    }

    @Test
    void aPageThatFinishesAfterACancelRemovesWhatItWrote() {
        FolderClones.CloneStarted started = cloneOf(15);
        CloneState prepared = steps.prepare(workflow.inputs.get(0));
        BackgroundTask cancelled = new TaskService(tasks, folders, storage, workflow, new FolderEvents() {
            @Override public void folderStatusChanged(Folder folder, Optional<FolderStatus> previous) { }
            @Override public void taskUpdated(BackgroundTask task, String kind) { }
        }, CLOCK).cancel(ALICE, started.task().id());
        assertThat(cancelled.status()).isEqualTo(TaskStatus.CANCELLED);
        assertThat(workflow.stopped).containsExactly("arn:clone-" + started.task().id() + "-0");
        // The page was already running when the cancel came: it copies, finds the task ended, and removes its data.
        tasks.pretendRunningOnce = true;
        assertThatThrownBy(() -> steps.copyPage(prepared)).isInstanceOf(CloneSteps.CloneFailed.class).hasMessageContaining("cancelled");
        assertThat(storage.under(started.target().prefix())).isEmpty();
        assertThat(folders.find("alice", "dst").orElseThrow().status()).isEqualTo(FolderStatus.ERROR);
        assertThat(folders.find("alice", "src").orElseThrow().status()).isEqualTo(FolderStatus.READY);
    }

    @Test
    void aDeletionCutShortIsResumedByTheNextDeleteButALiveOneIsNot() {
        Folder folder = service.create(ALICE, FolderSpec.parse(RequestFields.of(Map.of("name", "old"))));
        storage.objects.put(folder.prefix() + "a", new byte[1]);
        folders.transition("alice", "old", folder.id(), Set.of(FolderStatus.READY), FolderStatus.DELETE_PENDING, "deletion requested",
                CLOCK.instant().minus(Duration.ofMinutes(1)));
        assertThatThrownBy(() -> service.delete(ALICE, "old")).as("a deletion a minute old may still be running")
                .isInstanceOf(dev.sluice.core.error.DomainException.class);
        folders.transition("alice", "old", folder.id(), Set.of(FolderStatus.DELETE_PENDING), FolderStatus.DELETE_ONGOING, "removing",
                CLOCK.instant().minus(FolderCatalog.STALE_DELETION.plusSeconds(1)));
        FolderDeletion.Started started = service.delete(ALICE, "old");
        assertThat(started.task()).as("one object fits in the request's budget").isEmpty();
        Folder deleted = started.folder();
        assertThat(deleted.status()).isEqualTo(FolderStatus.DELETE_COMPLETE);
        assertThat(deleted.statusHistory()).extracting(c -> c.status()).containsSubsequence(FolderStatus.DELETE_ONGOING,
                FolderStatus.DELETE_ERROR, FolderStatus.DELETE_PENDING, FolderStatus.DELETE_ONGOING, FolderStatus.DELETE_COMPLETE);
        assertThat(storage.under(folder.prefix())).isEmpty();
    }

    @Test
    void theSweepStartsANeverStartedCloneAndCleansUpOneWhoseExecutionDied() {
        Clock later = Clock.offset(CLOCK, CloneSweep.GRACE.plusMinutes(1));
        FolderEvents quiet = new FolderEvents() {
            @Override public void folderStatusChanged(Folder folder, Optional<FolderStatus> previous) { }
            @Override public void taskUpdated(BackgroundTask task, String kind) { }
        };
        CloneSweep sweep = new CloneSweep(folders, tasks, storage, workflow, quiet, later, new CloneSettings(10, 2, 1 << 20));

        // The API wrote the clone but died before starting its execution.
        Folder source = service.create(ALICE, FolderSpec.parse(RequestFields.of(Map.of("name", "orphan", "cloneable", true))));
        Folder target = Folder.create("t-9", "alice", FolderSpec.parse(RequestFields.of(Map.of("name", "orphan-copy"))),
                FolderStatus.CLONING, "cloning", CLOCK.instant());
        BackgroundTask task = BackgroundTask.started("task-9", BackgroundTask.KIND_CLONE, "alice", (JsonObject) JsonValue.of(Map.of("source_id", source.id(),
                "source_name", "orphan", "target_id", "t-9", "target_name", "orphan-copy")), CLOCK.instant());
        assertThat(folders.startClone(source, target, task)).isEqualTo(FolderStore.CloneStart.STARTED);
        CloneSweep.Result first = sweep.run();
        assertThat(first.started()).isEqualTo(1);
        assertThat(workflow.names).contains("clone-task-9-0");
        assertThat(tasks.execution("task-9")).contains("arn:clone-task-9-0");

        // Its execution then died without running the cleanup (stopped by hand, or lost with the emulator).
        workflow.states.put("arn:clone-task-9-0", CloneWorkflow.ExecutionState.ENDED_BADLY);
        CloneSweep.Result second = sweep.run();
        assertThat(second.cleanedUp()).isEqualTo(1);
        assertThat(folders.find("alice", "orphan-copy").orElseThrow().status()).isEqualTo(FolderStatus.ERROR);
        assertThat(folders.find("alice", "orphan").orElseThrow().status()).isEqualTo(FolderStatus.READY);
        assertThat(tasks.find("task-9").orElseThrow().status()).isEqualTo(TaskStatus.FAILED);
        assertThat(sweep.run().checked()).as("nothing left to look at").isZero();
    }

    @Test
    void theMessageOfACaughtLambdaErrorIsItsErrorMessage() {
        assertThat(CloneSteps.failureMessage(CloneState.Failure.of("X", "{\"errorMessage\":\"could not copy 'a \\\"b\\\"'\",\"errorType\":\"E\"}")))
                .isEqualTo("could not copy 'a \"b\"'");
        assertThat(CloneSteps.failureMessage(CloneState.Failure.of("States.Timeout", null))).isEqualTo("the clone failed: States.Timeout");
    }

    @Test
    void objectPathsAreRelativeAndNormalized() {
        assertThat(FilePaths.objectPath("a/b.txt", "path")).isEqualTo("a/b.txt");
        for (String bad : List.of("", "/a", "a/", "a//b", "../a", "a/./b", "a\\b", "a\u0001")) {
            assertThatThrownBy(() -> FilePaths.objectPath(bad, "path")).as(bad).isInstanceOf(dev.sluice.core.error.DomainException.class);
        }
    }

    // ---------------------------------------------------------------- in-memory ports

    static final class Objects implements FolderStorage {
        final TreeMap<String, byte[]> objects = new TreeMap<>();

        synchronized List<String> under(String prefix) {
            return objects.keySet().stream().filter(k -> k.startsWith(prefix)).toList();
        }

        @Override
        public synchronized ListPage list(String prefix, Optional<String> token, int maxKeys) {
            List<StoredObject> page = new ArrayList<>();
            String from = token.orElse(prefix);
            for (Map.Entry<String, byte[]> e : objects.tailMap(from, token.isEmpty()).entrySet()) {
                if (!e.getKey().startsWith(prefix)) {
                    break;
                }
                if (page.size() == maxKeys) {
                    return new ListPage(page, Optional.of(page.get(page.size() - 1).key()));
                }
                page.add(new StoredObject(e.getKey(), e.getValue().length, "etag"));
            }
            return new ListPage(page, Optional.empty());
        }

        /** Deadlines the copies were given, and how many more copies of a key stop at their deadline unfinished. */
        final List<Instant> deadlines = new java.util.concurrent.CopyOnWriteArrayList<>();
        final Map<String, Integer> stopsLeft = new ConcurrentHashMap<>();

        @Override
        public synchronized long copy(String sourceKey, String targetKey, long size, Instant deadline) {
            deadlines.add(deadline);
            if (stopsLeft.getOrDefault(sourceKey, 0) > 0) {
                stopsLeft.merge(sourceKey, -1, Integer::sum);
                uploads.add(targetKey);
                throw new CopyUnfinished(targetKey, 1, 3);
            }
            uploads.remove(targetKey);
            byte[] data = objects.get(sourceKey);
            if (data == null) {
                throw new IllegalStateException("NoSuchKey " + sourceKey);
            }
            objects.put(targetKey, data.clone());
            return data.length;
        }

        /** Unfinished multipart uploads, by key. */
        final Set<String> uploads = new java.util.TreeSet<>();
        /** When set, deleting fails (a storage outage). */
        RuntimeException failDeletes;
        /** When set, the process dies right after a page is deleted (a Lambda timeout). */
        Error dieAfterDelete;

        @Override
        public synchronized int deletePage(String prefix) {
            if (failDeletes != null) {
                throw failDeletes;
            }
            List<String> keys = under(prefix).stream().limit(DELETE_PAGE).toList();
            keys.forEach(objects::remove);
            if (dieAfterDelete != null) {
                throw dieAfterDelete;
            }
            return keys.size();
        }

        @Override
        public synchronized int abortUploads(String prefix) {
            List<String> keys = uploads.stream().filter(k -> k.startsWith(prefix)).toList();
            keys.forEach(uploads::remove);
            return keys.size();
        }

        @Override public URI presignGet(String key, Duration ttl) { return URI.create("https://s3/" + key); }
        @Override public URI presignPut(String key, Duration ttl) { return URI.create("https://s3/" + key); }
        @Override public long minimumPartSize() { return 16L << 20; }
        @Override public String startMultipartUpload(String key) { throw new UnsupportedOperationException(); }
        @Override public URI presignPart(String key, String uploadId, int partNumber, Duration ttl) { throw new UnsupportedOperationException(); }
        @Override public void completeMultipartUpload(String key, String uploadId, List<Part> parts) { throw new UnsupportedOperationException(); }
    }

    public static final class Folders implements FolderStore {
        final Map<String, Folder> byKey = new ConcurrentHashMap<>();
        /** Path claims, "folder/path" to kind and until, as the DynamoDB store keeps them. */
        final Map<String, Map.Entry<String, Instant>> claims = new ConcurrentHashMap<>();

        @Override
        public synchronized boolean claimFile(String folderId, String path, Instant until, Instant now) {
            Map<String, String> wanted = new java.util.LinkedHashMap<>();
            wanted.put(path, "file");
            for (int slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
                wanted.put(path.substring(0, slash), "dir");
            }
            for (Map.Entry<String, String> w : wanted.entrySet()) {
                Map.Entry<String, Instant> held = claims.get(folderId + "/" + w.getKey());
                if (held != null && !held.getKey().equals(w.getValue()) && !held.getValue().isBefore(now)) {
                    return false;
                }
            }
            wanted.forEach((p, kind) -> claims.put(folderId + "/" + p, Map.entry(kind, until)));
            return true;
        }

        @Override public Optional<Folder> find(String owner, String name) { return Optional.ofNullable(byKey.get(owner + "/" + name)); }
        @Override public List<Folder> list(String owner) { return List.copyOf(byKey.values()); }

        @Override
        public synchronized boolean create(Folder folder) {
            // As in DynamoDB: a name whose folder was deleted completely is free again.
            Folder old = byKey.get(folder.owner() + "/" + folder.name());
            if (old != null && old.status() != FolderStatus.DELETE_COMPLETE) {
                return false;
            }
            byKey.put(folder.owner() + "/" + folder.name(), folder);
            return true;
        }

        @Override
        public synchronized Optional<Folder> transition(String owner, String name, String folderId, Set<FolderStatus> from, FolderStatus to,
                                                        String reason, Instant at) {
            Folder f = byKey.get(owner + "/" + name);
            if (f == null || !f.id().equals(folderId) || !from.contains(f.status())) {
                return Optional.empty();
            }
            Folder moved = f.withStatus(to, reason, at);
            byKey.put(owner + "/" + name, moved);
            return Optional.of(moved);
        }

        @Override public RenameOutcome rename(Folder folder, String newName, Instant at) { throw new UnsupportedOperationException(); }

        @Override
        public synchronized CloneStart startClone(Folder source, Folder target, BackgroundTask task) {
            if (byKey.containsKey(target.owner() + "/" + target.name())) {
                return CloneStart.TARGET_NAME_TAKEN;
            }
            if (transition(source.owner(), source.name(), source.id(), Set.of(FolderStatus.READY), FolderStatus.PERFORMING, "cloning",
                    target.createdAt()).isEmpty()) {
                return CloneStart.SOURCE_NOT_READY;
            }
            byKey.put(target.owner() + "/" + target.name(), target);
            Tasks.ALL.get().put(task.id(), task);
            return CloneStart.STARTED;
        }
    }

    public static final class Tasks implements TaskStore {
        static final ThreadLocal<Map<String, BackgroundTask>> ALL = ThreadLocal.withInitial(HashMap::new);
        final Map<String, BackgroundTask> byId = ALL.get();
        final Map<String, String> executions = new HashMap<>();
        boolean pretendRunningOnce;

        public Tasks() {
            byId.clear();
        }

        @Override
        public synchronized Optional<BackgroundTask> find(String id) {
            BackgroundTask t = byId.get(id);
            if (t != null && pretendRunningOnce) {
                pretendRunningOnce = false;
                return Optional.of(with(t, TaskStatus.STARTED, t.progress()));
            }
            return Optional.ofNullable(t);
        }

        @Override public List<BackgroundTask> list(String owner, int limit) { return List.copyOf(byId.values()); }

        private static BackgroundTask with(BackgroundTask t, TaskStatus status, TaskProgress p) {
            return new BackgroundTask(t.id(), t.kind(), t.owner(), status, p, t.createdAt(), t.updatedAt(), t.finishedAt(), t.result(),
                    t.error(), t.sequence() + 1);
        }

        @Override
        public synchronized Optional<BackgroundTask> setPhase(String id, TaskPhase phase, String message, long objectsTotal, long bytesTotal,
                                                              Instant at) {
            BackgroundTask t = byId.get(id);
            if (t.status() != TaskStatus.STARTED) {
                return Optional.empty();
            }
            TaskProgress p = t.progress();
            BackgroundTask u = with(t, t.status(), new TaskProgress(p.objectsDone(), objectsTotal, p.bytesDone(), bytesTotal, phase, message,
                    p.pagesDone()));
            byId.put(id, u);
            return Optional.of(u);
        }

        @Override
        public synchronized Optional<BackgroundTask> claim(String id, Instant seen, Instant now) {
            BackgroundTask t = byId.get(id);
            if (t == null || t.status() != TaskStatus.STARTED || !t.updatedAt().equals(seen)) {
                return Optional.empty();
            }
            BackgroundTask u = new BackgroundTask(t.id(), t.kind(), t.owner(), t.status(), t.progress(), t.createdAt(), now, t.finishedAt(),
                    t.result(), t.error(), t.sequence() + 1);
            byId.put(id, u);
            return Optional.of(u);
        }

        @Override
        public synchronized boolean create(BackgroundTask task) {
            return byId.putIfAbsent(task.id(), task) == null;
        }

        @Override
        public synchronized PageOutcome addPage(String id, long pagesDoneBefore, long objects, long bytes, TaskPhase phase, String message,
                                                Instant at) {
            BackgroundTask t = byId.get(id);
            if (t.status() != TaskStatus.STARTED) {
                return new PageOutcome.Ended(t.status());
            }
            TaskProgress p = t.progress();
            if (p.pagesDone() != pagesDoneBefore) {
                return new PageOutcome.AlreadyCounted();
            }
            BackgroundTask moved = with(t, t.status(), new TaskProgress(p.objectsDone() + objects, p.objectsTotal(), p.bytesDone() + bytes,
                    p.bytesTotal(), phase, message, p.pagesDone() + 1));
            BackgroundTask u = new BackgroundTask(moved.id(), moved.kind(), moved.owner(), moved.status(), moved.progress(), moved.createdAt(),
                    at, moved.finishedAt(), moved.result(), moved.error(), moved.sequence());
            byId.put(id, u);
            return new PageOutcome.Counted(u);
        }

        @Override
        public synchronized Optional<BackgroundTask> finish(String id, TaskStatus status, JsonObject result, Optional<String> error,
                                                            Instant at) {
            BackgroundTask t = byId.get(id);
            if (t.status() != TaskStatus.STARTED) {
                return Optional.empty();
            }
            BackgroundTask u = new BackgroundTask(t.id(), t.kind(), t.owner(), status, t.progress(), t.createdAt(), at, Optional.of(at),
                    result.isEmpty() ? t.result() : result, error, t.sequence() + 1);
            byId.put(id, u);
            return Optional.of(u);
        }

        @Override public void setExecution(String id, String executionArn) { executions.put(id, executionArn); }

        @Override
        public synchronized List<BackgroundTask> runningSince(String kind, Instant before, int limit) {
            return byId.values().stream().filter(t -> t.status() == TaskStatus.STARTED && t.kind().equals(kind) && t.createdAt().isBefore(before))
                    .toList();
        }
        @Override public Optional<String> execution(String id) { return Optional.ofNullable(executions.get(id)); }
    }

    static final class Workflow implements CloneWorkflow {
        final List<String> names = new ArrayList<>();
        final List<CloneState> inputs = new ArrayList<>();
        final List<String> stopped = new ArrayList<>();

        @Override
        public String start(String executionName, CloneState input) {
            if (!names.contains(executionName)) {
                names.add(executionName);
                inputs.add(input);
            }
            return "arn:" + executionName;
        }

        final Map<String, ExecutionState> states = new HashMap<>();

        @Override public ExecutionState state(String executionId) { return states.getOrDefault(executionId, ExecutionState.RUNNING); }

        @Override public void stop(String executionId, String cause) { stopped.add(executionId); }
    }
}
