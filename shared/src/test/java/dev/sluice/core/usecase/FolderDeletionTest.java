package dev.sluice.core.usecase;

import dev.sluice.core.json.JsonValue;
import dev.sluice.core.request.RequestFields;

import dev.sluice.core.folder.FolderSpec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.folder.Folder;
import dev.sluice.core.folder.FolderStatus;
import dev.sluice.core.port.FolderEvents;
import dev.sluice.core.task.BackgroundTask;
import dev.sluice.core.task.TaskPhase;
import dev.sluice.core.task.TaskStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Folder deletion within budgets: in the request when it fits, then as a background task, the sweep, failures (no AWS). */
class FolderDeletionTest {
    private static final Principal ALICE = new Principal("alice", "alice", Set.of("users"));
    private static final FolderDeletion.Budget ONE_PAGE = new FolderDeletion.Budget(1, Duration.ofSeconds(20));
    private static final FolderDeletion.Budget UNLIMITED = new FolderDeletion.Budget(Integer.MAX_VALUE, Duration.ofMinutes(10));

    /** A clock the test moves. */
    static final class MovableClock extends Clock {
        Instant now = Instant.parse("2026-11-25T10:00:00Z");

        @Override public ZoneId getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(ZoneId zone) { return this; }
        @Override public Instant instant() { return now; }
    }

    private CloneStepsTest.Objects storage;
    private CloneStepsTest.Folders folders;
    private CloneStepsTest.Tasks tasks;
    private MovableClock clock;
    private FolderCatalog service;
    private FolderDeletion deletion;
    private final List<String> taskEvents = new ArrayList<>();
    /** Folder id to the sessions that mount it and have not ended. */
    private final Map<String, List<String>> mountedBy = new java.util.HashMap<>();

    @BeforeEach
    void wire() {
        storage = new CloneStepsTest.Objects();
        folders = new CloneStepsTest.Folders();
        tasks = new CloneStepsTest.Tasks();
        clock = new MovableClock();
        FolderEvents events = new FolderEvents() {
            @Override public void folderStatusChanged(Folder folder, Optional<FolderStatus> previous) { }
            @Override public void taskUpdated(BackgroundTask task, String kind) {
                taskEvents.add(task.kind() + "#" + task.sequence() + ":" + kind);
            }
        };
        AtomicInteger ids = new AtomicInteger();
        service = new FolderCatalog(folders, tasks, storage, events,
                (owner, folderId, limit) -> mountedBy.getOrDefault(folderId, List.of()).stream().limit(limit).toList(),
                () -> "id-" + ids.incrementAndGet(), clock, ONE_PAGE);
        deletion = new FolderDeletion(folders, tasks, storage, events, () -> "id-" + ids.incrementAndGet(), clock);
    }

    private Folder folderOf(String name, int objects) {
        Folder folder = service.create(ALICE, FolderSpec.parse(RequestFields.of(Map.of("name", name))));
        for (int i = 0; i < objects; i++) {
            storage.objects.put(folder.prefix() + String.format("k%05d", i), new byte[1]);
        }
        storage.uploads.add(folder.prefix() + "half-uploaded.bin");
        return folder;
    }

    @Test
    void aFolderThatEmptiesWithinTheRequestsBudgetIsCompleteAtOnce() {
        Folder folder = folderOf("small", 999);
        storage.objects.put("folders/someone-else/keep", new byte[1]);

        FolderDeletion.Started started = service.delete(ALICE, "small");

        assertThat(started.task()).isEmpty();
        assertThat(started.folder().status()).isEqualTo(FolderStatus.DELETE_COMPLETE);
        assertThat(storage.under(folder.prefix())).isEmpty();
        assertThat(storage.uploads).as("unfinished uploads are aborted too").isEmpty();
        assertThat(storage.objects).containsKey("folders/someone-else/keep");
        assertThat(taskEvents).as("its task is written first and ends done at once; no worker is started")
                .containsExactly("folder-delete#2:done");
    }

    @Test
    void theRequestsBudgetEndsByItsDeadline() {
        Instant now = clock.now;
        FolderDeletion.Budget twenty = FolderCatalog.REQUEST_DELETION_BUDGET;
        assertThat(FolderCatalog.withinDeadline(twenty, now, now.plusSeconds(26))).isEqualTo(twenty);
        assertThat(FolderCatalog.withinDeadline(twenty, now, now.plusSeconds(7)))
                .as("a cold start ate into the 29 s").isEqualTo(new FolderDeletion.Budget(20, Duration.ofSeconds(7)));
        assertThat(FolderCatalog.withinDeadline(twenty, now, now.minusSeconds(1)).time()).as("past it: one page, then the background")
                .isEqualTo(Duration.ofMillis(1));
        Folder folder = folderOf("late", 10);
        assertThat(service.delete(ALICE, "late", now.minusSeconds(1)).folder().status()).isEqualTo(FolderStatus.DELETE_COMPLETE);
        assertThat(storage.under(folder.prefix())).isEmpty();
    }

    @Test
    void aFolderThatSessionsStillMountIsNeitherDeletedNorRenamed() {
        Folder folder = folderOf("in-use", 3);
        mountedBy.put(folder.id(), List.of("s-1", "s-2"));

        assertThatThrownBy(() -> service.delete(ALICE, "in-use")).isInstanceOfSatisfying(DomainException.class, e -> {
            assertThat(e.code()).isEqualTo(dev.sluice.core.error.ErrorCode.CONFLICT);
            assertThat(e.field()).contains("name");
            assertThat(e.getMessage()).contains("s-1, s-2").contains("deleted once they end");
        });
        assertThatThrownBy(() -> service.rename(ALICE, "in-use", FolderCatalog.Rename.parse(RequestFields.of(Map.of("name", "elsewhere")))))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.getMessage()).contains("renamed once they end"));
        assertThat(folders.find("alice", "in-use").orElseThrow().status()).isEqualTo(FolderStatus.READY);
        assertThat(storage.under(folder.prefix())).hasSize(3);
        assertThat(taskEvents).isEmpty();

        mountedBy.put(folder.id(), List.of("s-1", "s-2", "s-3", "s-4", "s-5", "s-6"));
        assertThatThrownBy(() -> service.delete(ALICE, "in-use")).hasMessageContaining("s-5, and maybe more)").hasMessageNotContaining("s-6");

        mountedBy.remove(folder.id());
        assertThat(service.delete(ALICE, "in-use").folder().status()).as("the sessions ended").isEqualTo(FolderStatus.DELETE_COMPLETE);
    }

    @Test
    void aBiggerFolderGoesOnAsABackgroundTaskThatTheWorkerFinishes() {
        Folder folder = folderOf("big", 2_500);

        FolderDeletion.Started started = service.delete(ALICE, "big");

        assertThat(started.folder().status()).isEqualTo(FolderStatus.DELETE_ONGOING);
        BackgroundTask task = started.task().orElseThrow();
        assertThat(task.kind()).isEqualTo(FolderDeletion.KIND);
        assertThat(task.owner()).isEqualTo("alice");
        assertThat(task.progress().phase()).isEqualTo(TaskPhase.REMOVING);
        assertThat(task.progress().objectsDone()).as("one full page within the request").isEqualTo(1_000);
        assertThat(task.result().fields()).containsEntry("folder_id", JsonValue.of(folder.id())).containsEntry("folder", JsonValue.of("big"));
        assertThat(storage.under(folder.prefix())).hasSize(1_500);
        assertThat(taskEvents).as("the request's progress, sequence 2: the event that starts the worker").containsExactly("folder-delete#2:updated");
        assertThat(task.sequence()).isEqualTo(2);
        assertThatThrownBy(() -> service.delete(ALICE, "big")).as("a second delete while it runs").isInstanceOf(DomainException.class);

        FolderDeletion.Continued continued = deletion.resume(task.id(), UNLIMITED, Optional.of(2L));

        assertThat(continued.ended()).isTrue();
        assertThat(continued.removed()).isEqualTo(1_500);
        assertThat(folders.find("alice", "big").orElseThrow().status()).isEqualTo(FolderStatus.DELETE_COMPLETE);
        assertThat(storage.under(folder.prefix())).isEmpty();
        assertThat(storage.uploads).isEmpty();
        BackgroundTask done = tasks.find(task.id()).orElseThrow();
        assertThat(done.status()).isEqualTo(TaskStatus.DONE);
        assertThat(done.result().fields()).containsEntry("objects_removed", JsonValue.of(2_500L));
        assertThat(taskEvents).last().asString().endsWith(":done");
        assertThat(service.create(ALICE, FolderSpec.parse(RequestFields.of(Map.of("name", "big")))).status()).as("the name is free again").isEqualTo(FolderStatus.READY);
    }

    @Test
    void aWorkerOutOfBudgetLeavesProgressAndTheSweepContinuesOnlyStalledDeletions() {
        Folder folder = folderOf("huge", 4_200);
        BackgroundTask task = service.delete(ALICE, "huge").task().orElseThrow();

        FolderDeletion.Continued first = deletion.resume(task.id(), new FolderDeletion.Budget(2, Duration.ofMinutes(1)));
        assertThat(first.ended()).isFalse();
        assertThat(first.removed()).isEqualTo(2_000);
        assertThat(tasks.find(task.id()).orElseThrow().progress().objectsDone()).as("progress written when the budget ends").isEqualTo(3_000);
        assertThat(folders.find("alice", "huge").orElseThrow().status()).isEqualTo(FolderStatus.DELETE_ONGOING);

        assertThat(deletion.sweep(UNLIMITED, 100)).as("a task that just moved is left to its worker").isEmpty();
        clock.now = clock.now.plus(FolderDeletion.STALE).plusSeconds(1);
        List<FolderDeletion.Continued> swept = deletion.sweep(UNLIMITED, 100);

        assertThat(swept).extracting(FolderDeletion.Continued::taskId).containsExactly(task.id());
        assertThat(swept.get(0).ended()).isTrue();
        assertThat(storage.under(folder.prefix())).isEmpty();
        assertThat(folders.find("alice", "huge").orElseThrow().status()).isEqualTo(FolderStatus.DELETE_COMPLETE);
        assertThat(tasks.find(task.id()).orElseThrow().status()).isEqualTo(TaskStatus.DONE);
    }

    @Test
    void aStorageFailureLeavesDeleteErrorAndAFailedTaskAndASecondDeleteStartsOver() {
        Folder folder = folderOf("flaky", 2_100);
        BackgroundTask task = service.delete(ALICE, "flaky").task().orElseThrow();
        storage.failDeletes = new IllegalStateException("SlowDown");

        FolderDeletion.Continued failed = deletion.resume(task.id(), UNLIMITED);

        assertThat(failed.ended()).isTrue();
        assertThat(folders.find("alice", "flaky").orElseThrow().status()).isEqualTo(FolderStatus.DELETE_ERROR);
        BackgroundTask t = tasks.find(task.id()).orElseThrow();
        assertThat(t.status()).isEqualTo(TaskStatus.FAILED);
        assertThat(t.error()).hasValueSatisfying(e -> assertThat(e).contains("SlowDown"));

        storage.failDeletes = null;
        FolderDeletion.Started again = service.delete(ALICE, "flaky");
        assertThat(again.folder().statusHistory()).extracting(c -> c.status()).containsSubsequence(FolderStatus.DELETE_ERROR,
                FolderStatus.DELETE_PENDING, FolderStatus.DELETE_ONGOING);
        deletion.resume(again.task().orElseThrow().id(), UNLIMITED);
        assertThat(storage.under(folder.prefix())).isEmpty();
        assertThat(folders.find("alice", "flaky").orElseThrow().status()).isEqualTo(FolderStatus.DELETE_COMPLETE);
    }

    @Test
    void aFailureWithinTheRequestLeavesDeleteErrorAndReachesTheCaller() {
        folderOf("broken", 10);
        storage.failDeletes = new IllegalStateException("AccessDenied");

        assertThatThrownBy(() -> service.delete(ALICE, "broken")).hasMessageContaining("AccessDenied");
        assertThat(folders.find("alice", "broken").orElseThrow().status()).isEqualTo(FolderStatus.DELETE_ERROR);
    }

    @Test
    void aSecondWorkerOnAFinishedDeletionChangesNothing() {
        folderOf("twice", 1_500);
        BackgroundTask task = service.delete(ALICE, "twice").task().orElseThrow();
        deletion.resume(task.id(), UNLIMITED);
        long sequence = tasks.find(task.id()).orElseThrow().sequence();

        FolderDeletion.Continued late = deletion.resume(task.id(), UNLIMITED);

        assertThat(late.ended()).isTrue();
        assertThat(late.removed()).isZero();
        assertThat(tasks.find(task.id()).orElseThrow().sequence()).isEqualTo(sequence);
        assertThat(folders.find("alice", "twice").orElseThrow().status()).isEqualTo(FolderStatus.DELETE_COMPLETE);
    }

    @Test
    void aWorkerStartedByAStaleOrDuplicatedEventLeavesTheTaskToTheOneThatClaimedIt() {
        Folder folder = folderOf("contended", 3_500);
        BackgroundTask task = service.delete(ALICE, "contended").task().orElseThrow();
        assertThat(task.sequence()).isEqualTo(2);

        // The first worker claims the task (sequence 3) and runs out of budget after one page.
        FolderDeletion.Continued first = deletion.resume(task.id(), new FolderDeletion.Budget(1, Duration.ofMinutes(1)), Optional.of(2L));
        assertThat(first.removed()).isEqualTo(1_000);
        // The same event delivered again finds the task moved on and does nothing.
        FolderDeletion.Continued duplicate = deletion.resume(task.id(), UNLIMITED, Optional.of(2L));
        assertThat(duplicate.removed()).isZero();
        assertThat(duplicate.ended()).isFalse();
        assertThat(storage.under(folder.prefix())).hasSize(1_500);
        // Two workers that read the task at the same moment: only one claim holds.
        BackgroundTask seen = tasks.find(task.id()).orElseThrow();
        assertThat(tasks.claim(task.id(), seen.updatedAt(), clock.instant().plusSeconds(1))).isPresent();
        assertThat(tasks.claim(task.id(), seen.updatedAt(), clock.instant().plusSeconds(2))).isEmpty();
        assertThat(tasks.find(task.id()).orElseThrow().progress().objectsDone()).as("each page counted once").isEqualTo(2_000);
    }

    @Test
    void aRequestThatDiedHalfwayLeavesATaskTheSweepFinishes() {
        Folder folder = folderOf("cut-short", 2_000);
        Folder ongoing = folders.transition("alice", "cut-short", folder.id(), Set.of(FolderStatus.READY), FolderStatus.DELETE_ONGOING,
                "removing", clock.instant()).orElseThrow();
        // The request wrote its task and removed a page, then its Lambda timed out: no progress, no event.
        storage.dieAfterDelete = new Error("Task timed out after 30.00 seconds");
        assertThatThrownBy(() -> deletion.start(ongoing, ONE_PAGE)).isInstanceOf(Error.class);
        storage.dieAfterDelete = null;
        assertThat(taskEvents).isEmpty();
        BackgroundTask orphan = tasks.list("alice", 10).stream().filter(t -> t.kind().equals(FolderDeletion.KIND)).findFirst().orElseThrow();
        assertThat(orphan.status()).isEqualTo(TaskStatus.STARTED);

        clock.now = clock.now.plus(FolderDeletion.STALE).plusSeconds(1);
        assertThat(deletion.sweep(UNLIMITED, 100)).extracting(FolderDeletion.Continued::ended).containsExactly(true);

        assertThat(storage.under(folder.prefix())).isEmpty();
        assertThat(folders.find("alice", "cut-short").orElseThrow().status()).isEqualTo(FolderStatus.DELETE_COMPLETE);
        assertThat(tasks.find(orphan.id()).orElseThrow().status()).isEqualTo(TaskStatus.DONE);
    }

    @Test
    void aProgressEventThatCannotBePublishedDoesNotMarkTheFolderBroken() {
        folderOf("noisy", 2_500);
        BackgroundTask task = service.delete(ALICE, "noisy").task().orElseThrow();
        FolderDeletion flaky = new FolderDeletion(folders, tasks, storage, new FolderEvents() {
            @Override public void folderStatusChanged(Folder f, Optional<FolderStatus> previous) { }
            @Override public void taskUpdated(BackgroundTask t, String kind) { throw new IllegalStateException("EventBridge throttled"); }
        }, () -> "x", clock);

        assertThatThrownBy(() -> flaky.resume(task.id(), UNLIMITED)).hasMessageContaining("throttled");

        assertThat(folders.find("alice", "noisy").orElseThrow().status()).as("left for the sweep, not delete-error")
                .isIn(FolderStatus.DELETE_ONGOING, FolderStatus.DELETE_COMPLETE);
        assertThat(tasks.find(task.id()).orElseThrow().status()).isNotEqualTo(TaskStatus.FAILED);
    }

    @Test
    void aDeletionTaskCannotBeCancelled() {
        folderOf("keep-going", 1_200);
        BackgroundTask task = service.delete(ALICE, "keep-going").task().orElseThrow();
        TaskService taskService = new TaskService(tasks, folders, storage, new CloneStepsTest.Workflow(), new FolderEvents() {
            @Override public void folderStatusChanged(Folder folder, Optional<FolderStatus> previous) { }
            @Override public void taskUpdated(BackgroundTask t, String kind) { }
        }, clock);

        assertThatThrownBy(() -> taskService.cancel(ALICE, task.id())).isInstanceOf(DomainException.class)
                .hasMessageContaining("cannot be cancelled");
        assertThat(tasks.find(task.id()).orElseThrow().status()).isEqualTo(TaskStatus.STARTED);
    }

    @Test
    void aBudgetNeedsAPageAndSomeTime() {
        assertThatThrownBy(() -> new FolderDeletion.Budget(0, Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new FolderDeletion.Budget(1, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }
}
