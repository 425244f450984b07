package dev.sluice.core.usecase;

import dev.sluice.core.session.StatusData;
import dev.sluice.core.request.RequestFields;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import dev.sluice.core.folder.Folder;
import dev.sluice.core.folder.FolderSpec;
import dev.sluice.core.folder.FolderStatus;
import dev.sluice.core.port.Page;
import dev.sluice.core.port.SessionStore;
import dev.sluice.core.scheduler.Usage;
import dev.sluice.core.session.FolderMount;
import dev.sluice.core.session.Kernel;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionQuery;
import dev.sluice.core.session.SessionResult;
import dev.sluice.core.session.SessionSpec;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.session.StatusChange;
import dev.sluice.core.slots.ResourceSlots;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The folder data an agent gets for its sessions (presigned URLs, no AWS here), and which sessions keep a folder in
 * use: both read sessions through {@link SessionStore}, here a list in memory.
 */
class MountTransfersTest {
    private static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");
    private static final ResourceSlots SLOTS = ResourceSlots.parse(RequestFields.of(Map.of("cpu", 1, "mem", "1g")).at("s"));

    /** Sessions in memory: find, and list by owner and status a page at a time (the cursor is an offset). */
    static final class Sessions implements SessionStore {
        final List<Session> all = new ArrayList<>();
        int pagesRead;

        @Override public Optional<Session> find(String id) { return all.stream().filter(s -> s.id().equals(id)).findFirst(); }

        @Override
        public Page<Session> list(SessionQuery query, Instant notBefore) {
            pagesRead++;
            List<Session> matching = all.stream().filter(s -> query.owner().map(s.owner()::equals).orElse(true))
                    .filter(s -> query.statuses().isEmpty() || query.statuses().contains(s.status())).toList();
            int from = query.cursor().map(Integer::parseInt).orElse(0);
            int to = Math.min(matching.size(), from + query.limit());
            return new Page<>(matching.subList(from, to), to < matching.size() ? Optional.of(String.valueOf(to)) : Optional.empty());
        }

        @Override public CreateOutcome create(Session session, Optional<IdempotencyClaim> claim) { throw new UnsupportedOperationException(); }
        @Override public Usage usageOf(String owner) { throw new UnsupportedOperationException(); }
        @Override public int sessionsAhead(Session pending) { throw new UnsupportedOperationException(); }
        @Override public List<Session> pendingIn(String resourceGroup) { throw new UnsupportedOperationException(); }
        @Override public SaveOutcome apply(dev.sluice.core.session.SessionChange change) { throw new UnsupportedOperationException(); }
        @Override public List<Session> onAgent(String agentId) { throw new UnsupportedOperationException(); }
    }

    private Sessions sessions;
    private CloneStepsTest.Folders folders;
    private CloneStepsTest.Objects storage;
    private MountTransfers transfers;
    private Folder data;
    private Folder models;

    @BeforeEach
    void wire() {
        sessions = new Sessions();
        folders = new CloneStepsTest.Folders();
        storage = new CloneStepsTest.Objects();
        transfers = new MountTransfers(sessions, folders, storage, java.time.Clock.fixed(T0, java.time.ZoneOffset.UTC));
        data = folder("f-data", "data", "rw");
        models = folder("f-models", "models", "ro");
        storage.objects.put(data.prefix() + "in/a.txt", new byte[3]);
        storage.objects.put(data.prefix() + "in/b.txt", new byte[5]);
        storage.objects.put(models.prefix() + "w.bin", new byte[7]);
    }

    private Folder folder(String id, String name, String permission) {
        Folder f = Folder.create(id, "alice", FolderSpec.parse(RequestFields.of(Map.of("name", name, "permission", permission))), FolderStatus.READY, "created", T0);
        assertThat(folders.create(f)).isTrue();
        return f;
    }

    private static FolderMount mountOf(Folder f) {
        return new FolderMount(f.id(), f.name(), f.prefix(), f.permission().wireName(), FolderMount.defaultPath(f.name()));
    }

    /** A session of alice's on agent i-1 in {@code status}, mounting {@code mounted}. */
    private Session session(String id, SessionStatus status, Folder... mounted) {
        SessionSpec spec = SessionSpec.parse(RequestFields.of(Map.of("image", "python:3.12", "resource_slots", Map.of("cpu", 1, "mem", "1g"))), T0)
                .withFolderMounts(java.util.Arrays.stream(mounted).map(MountTransfersTest::mountOf).toList());
        Session s = new Session(id, "alice", spec, "gpu", status, "info", StatusData.NONE, List.of(new StatusChange(status, T0)),
                List.of(new Kernel("i-1", SLOTS)), SessionResult.UNDEFINED, T0, Optional.empty(), Optional.empty(), 3);
        sessions.all.add(s);
        return s;
    }

    private static Consumer<Throwable> code(ErrorCode expected) {
        return e -> assertThat(((DomainException) e).code()).isEqualTo(expected);
    }

    @Test
    void theHostingAgentListsAMountedFolderWithPresignedGetsAndUploadsOnlyIntoWritableOnes() {
        session("s-1", SessionStatus.PREPARING, data, models);

        MountTransfers.MountPage page = transfers.files("i-1", "s-1", "data", Optional.empty());

        List<MountTransfers.MountFile> items = page.items();
        assertThat(items).extracting(MountTransfers.MountFile::path).containsExactly("in/a.txt", "in/b.txt");
        assertThat(items).extracting(MountTransfers.MountFile::size).containsExactly(3L, 5L);
        assertThat(items.get(0).url()).isEqualTo("https://s3/" + data.prefix() + "in/a.txt");
        assertThat(page.nextCursor()).isEmpty();
        assertThat(transfers.upload("i-1", "s-1", "data", RequestFields.of(Map.of("path", "out/r.txt", "size", 4))).url())
                .isEqualTo("https://s3/" + data.prefix() + "out/r.txt");

        assertThatThrownBy(() -> transfers.upload("i-1", "s-1", "models", RequestFields.of(Map.of("path", "x", "size", 1)))).satisfies(code(ErrorCode.FORBIDDEN));
        assertThatThrownBy(() -> transfers.files("i-2", "s-1", "data", Optional.empty())).as("another agent").satisfies(code(ErrorCode.NOT_FOUND));
        assertThatThrownBy(() -> transfers.files("i-1", "s-1", "other", Optional.empty())).as("not mounted").satisfies(code(ErrorCode.NOT_FOUND));
        assertThatThrownBy(() -> transfers.files("i-1", "s-9", "data", Optional.empty())).satisfies(code(ErrorCode.NOT_FOUND));
        session("s-2", SessionStatus.ERROR, data);
        assertThatThrownBy(() -> transfers.upload("i-1", "s-2", "data", RequestFields.of(Map.of("path", "x", "size", 1)))).as("ended")
                .satisfies(code(ErrorCode.CONFLICT));
    }

    @Test
    void aSaveFollowsTheFolderPathRulesAndClaimsItsPathAgainstAUsersUpload() {
        session("s-1", SessionStatus.RUNNING, data);

        // A user's upload of "out" (claimed by the API's upload, FolderFiles) holds the path as a file: the session's
        // save of "out/x" would make it a directory too, and is refused naming the path; the reverse order likewise.
        assertThat(folders.claimFile(data.id(), "out", T0.plusSeconds(3600), T0)).isTrue();
        assertThatThrownBy(() -> transfers.upload("i-1", "s-1", "data", RequestFields.of(Map.of("path", "out/x", "size", 1))))
                .satisfies(code(ErrorCode.INVALID_FIELD)).hasMessageContaining("collides with another upload")
                .satisfies(e -> assertThat(((DomainException) e).field()).contains("path"));
        assertThat(transfers.upload("i-1", "s-1", "data", RequestFields.of(Map.of("path", "res/y", "size", 1))).path()).isEqualTo("res/y");
        assertThat(folders.claimFile(data.id(), "res", T0.plusSeconds(3600), T0)).as("the save's claim holds 'res' as a directory").isFalse();

        // What is stored already: "in" is a directory of the folder, "in/a.txt" a file.
        assertThatThrownBy(() -> transfers.upload("i-1", "s-1", "data", RequestFields.of(Map.of("path", "in", "size", 1))))
                .satisfies(code(ErrorCode.INVALID_FIELD)).hasMessageContaining("names a directory");
        assertThatThrownBy(() -> transfers.upload("i-1", "s-1", "data", RequestFields.of(Map.of("path", "in/a.txt/z", "size", 1))))
                .satisfies(code(ErrorCode.INVALID_FIELD)).hasMessageContaining("which is a file of the folder");
        assertThat(transfers.upload("i-1", "s-1", "data", RequestFields.of(Map.of("path", "in/a.txt", "size", 1))).path())
                .as("a file saved over the same file is fine").isEqualTo("in/a.txt");
    }

    @Test
    void aFolderReplacedUnderTheMountedNameIsNeitherCopiedInNorWrittenTo() {
        session("s-1", SessionStatus.PREPARING, data);
        // Deleted and made again under the same name while the session was being created (the in-use check missed it).
        folders.byKey.put("alice/data", data.withStatus(FolderStatus.DELETE_COMPLETE, "deleted", T0));
        Folder again = folder("f-data-2", "data", "rw");
        storage.objects.put(again.prefix() + "someone-elses.txt", new byte[1]);

        assertThatThrownBy(() -> transfers.files("i-1", "s-1", "data", Optional.empty()))
                .satisfies(code(ErrorCode.CONFLICT)).hasMessageContaining("no longer exists under that name");
        assertThatThrownBy(() -> transfers.upload("i-1", "s-1", "data", RequestFields.of(Map.of("path", "out.txt", "size", 1))))
                .satisfies(code(ErrorCode.CONFLICT));

        folders.byKey.remove("alice/data");
        assertThatThrownBy(() -> transfers.files("i-1", "s-1", "data", Optional.empty())).as("gone altogether")
                .satisfies(code(ErrorCode.CONFLICT));
    }

    @Test
    void aFolderIsInUseByItsOwnersSessionsThatMountItAndHaveNotEnded() {
        Folder other = folder("f-other", "other", "rw");
        for (SessionStatus status : SessionStatus.values()) {
            session("s-" + status.name().toLowerCase(java.util.Locale.ROOT), status, data);
        }
        session("s-other-folder", SessionStatus.RUNNING, other);
        SessionFolderUsers users = new SessionFolderUsers(sessions);

        assertThat(users.activeSessionsMounting("alice", "f-data", 100)).containsExactlyInAnyOrder(
                "s-pending", "s-scheduled", "s-pulling", "s-preparing", "s-running", "s-restarting", "s-running_degraded", "s-terminating");
        assertThat(users.activeSessionsMounting("bob", "f-data", 100)).as("only the owner's sessions mount a folder").isEmpty();
        assertThat(users.activeSessionsMounting("alice", "f-models", 100)).isEmpty();

        for (int i = 0; i < 450; i++) {
            session("s-old-" + i, i % 2 == 0 ? SessionStatus.RUNNING : SessionStatus.TERMINATED, other);
        }
        session("s-last", SessionStatus.PENDING, models);
        sessions.pagesRead = 0;
        assertThat(users.activeSessionsMounting("alice", "f-models", 100)).as("found past the first pages").containsExactly("s-last");
        assertThat(sessions.pagesRead).isGreaterThan(1);
        assertThat(users.activeSessionsMounting("alice", "f-other", 5)).hasSize(5);
    }
}
