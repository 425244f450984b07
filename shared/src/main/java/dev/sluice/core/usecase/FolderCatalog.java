package dev.sluice.core.usecase;

import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import dev.sluice.core.folder.Folder;
import dev.sluice.core.folder.FolderSpec;
import dev.sluice.core.folder.FolderStatus;
import dev.sluice.core.port.FolderEvents;
import dev.sluice.core.port.FolderStorage;
import dev.sluice.core.port.FolderStore;
import dev.sluice.core.port.FolderUsers;
import dev.sluice.core.port.IdGenerator;
import dev.sluice.core.port.TaskStore;
import dev.sluice.core.request.RequestFields;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The records of virtual folders: create, list, get, rename and delete (the removal of a folder's objects is {@link FolderDeletion}). */
public final class FolderCatalog {
    /**
     * What a delete request removes itself before it answers, at most: 20 pages (20,000 objects) within 20 s, and never
     * past the request's deadline (its function's time left and API Gateway's 29 s, {@link #delete(Principal, String,
     * Instant)}); a bigger folder goes on as a background task.
     */
    public static final FolderDeletion.Budget REQUEST_DELETION_BUDGET = new FolderDeletion.Budget(20, Duration.ofSeconds(20));

    private final FolderStore folders;
    private final TaskStore tasks;
    private final FolderEvents events;
    private final IdGenerator ids;
    private final Clock clock;
    private final FolderDeletion deletion;
    private final FolderUsers users;
    private final FolderDeletion.Budget deletionBudget;

    public FolderCatalog(FolderStore folders, TaskStore tasks, FolderStorage storage, FolderEvents events, FolderUsers users,
                         IdGenerator ids, Clock clock) {
        this(folders, tasks, storage, events, users, ids, clock, REQUEST_DELETION_BUDGET);
    }

    public FolderCatalog(FolderStore folders, TaskStore tasks, FolderStorage storage, FolderEvents events, FolderUsers users,
                         IdGenerator ids, Clock clock, FolderDeletion.Budget deletionBudget) {
        this.users = users;
        this.deletion = new FolderDeletion(folders, tasks, storage, events, ids, clock);
        this.deletionBudget = deletionBudget;
        this.folders = folders;
        this.tasks = tasks;
        this.events = events;
        this.ids = ids;
        this.clock = clock;
    }

    public Folder create(Principal caller, FolderSpec spec) {
        Folder folder = Folder.create(ids.newId(), caller.subject(), spec, FolderStatus.READY, "created", clock.instant());
        if (!folders.create(folder)) {
            throw new DomainException(ErrorCode.CONFLICT, "name", "You already have a folder named '" + spec.name() + "'; choose another name.");
        }
        events.folderStatusChanged(folder, Optional.empty());
        return folder;
    }

    /** The caller's folders; those deleted completely only when asked. */
    public List<Folder> list(Principal caller, boolean includeDeleted) {
        return folders.list(caller.subject()).stream()
                .filter(f -> includeDeleted || f.status() != FolderStatus.DELETE_COMPLETE).toList();
    }

    /** The caller's folder of that name (404 otherwise; a completely deleted folder is gone). */
    public Folder get(Principal caller, String name) {
        if (!FolderSpec.isValidName(name)) {
            throw DomainException.notFound("folder named '" + name + "'");
        }
        return folders.find(caller.subject(), name).filter(f -> f.status() != FolderStatus.DELETE_COMPLETE)
                .orElseThrow(() -> DomainException.notFound("folder named '" + name + "'"));
    }

    /** A rename request: the folder's new name. */
    public record Rename(String newName) {
        public static Rename parse(RequestFields f) {
            f.refuseUnknownOrNull(Set.of("name"));
            return new Rename(FolderSpec.requireName(f.requireString("name"), "name"));
        }
    }

    public Folder rename(Principal caller, String name, Rename request) {
        String newName = request.newName();
        Folder folder = get(caller, name);
        if (newName.equals(name)) {
            return folder;
        }
        refuseWhileMounted(folder, "renamed");
        switch (folders.rename(folder, newName, clock.instant())) {
            case RENAMED:
                return folder.withName(newName);
            case NAME_TAKEN:
                throw new DomainException(ErrorCode.CONFLICT, "name", "You already have a folder named '" + newName + "'; choose another name.");
            default:
                throw notReady(get(caller, name));
        }
    }

    /** A deletion whose status has not moved for this long was cut short (its request timed out): it may be resumed. */
    public static final Duration STALE_DELETION = Duration.ofMinutes(2);

    /**
     * Deletes a folder: delete-pending, then delete-ongoing while its objects are removed, then delete-complete (its
     * name is free again). What fits in the request's budget is removed before the answer; a bigger folder stays
     * delete-ongoing and the answer carries the background task that removes the rest ({@link FolderDeletion}). A
     * storage failure leaves it delete-error, from which a second delete starts over.
     */
    public FolderDeletion.Started delete(Principal caller, String name) {
        return delete(caller, name, Instant.MAX);
    }

    /** {@link #delete(Principal, String)} whose removal of objects before the answer ends by {@code deadline}. */
    public FolderDeletion.Started delete(Principal caller, String name, Instant deadline) {
        Folder folder = get(caller, name);
        refuseWhileMounted(folder, "deleted");
        Instant now = clock.instant();
        if ((folder.status() == FolderStatus.DELETE_PENDING || folder.status() == FolderStatus.DELETE_ONGOING)
                && folder.statusHistory().get(folder.statusHistory().size() - 1).at().isBefore(now.minus(STALE_DELETION))
                && !deletionRunning(folder.id(), now)) {
            folder = move(folder, EnumSet.of(folder.status()), FolderStatus.DELETE_ERROR, "deletion was cut short; resumed", now)
                    .orElseThrow(() -> notReady(get(caller, name)));
        }
        Folder pending = move(folder, EnumSet.of(FolderStatus.READY, FolderStatus.ERROR, FolderStatus.DELETE_ERROR),
                FolderStatus.DELETE_PENDING, "deletion requested", now)
                .orElseThrow(() -> notReady(get(caller, name)));
        Folder ongoing = move(pending, EnumSet.of(FolderStatus.DELETE_PENDING), FolderStatus.DELETE_ONGOING, "removing objects", now)
                .orElseThrow(() -> notReady(get(caller, name)));
        return deletion.start(ongoing, withinDeadline(deletionBudget, clock.instant(), deadline));
    }

    /** The budget cut to what is left before the deadline (a millisecond at least: one page, then the background). */
    static FolderDeletion.Budget withinDeadline(FolderDeletion.Budget budget, Instant now, Instant deadline) {
        if (!deadline.isBefore(now.plus(budget.time()))) {
            return budget;
        }
        Duration left = deadline.isAfter(now) ? Duration.between(now, deadline) : Duration.ZERO;
        return new FolderDeletion.Budget(budget.pages(), left.compareTo(Duration.ofMillis(1)) < 0 ? Duration.ofMillis(1) : left);
    }

    /** How many of the sessions using a folder a refusal names. */
    static final int USERS_NAMED = 5;

    /**
     * Refuses to rename or delete a folder that sessions which have not ended still mount: their agents read it by
     * name when they start and save writable ones back when they stop (Backend.AI refuses the same while a session is
     * connected). A session created between this check and the status change is refused its folder when it starts.
     */
    private void refuseWhileMounted(Folder folder, String change) {
        List<String> using = users.activeSessionsMounting(folder.owner(), folder.id(), USERS_NAMED);
        if (!using.isEmpty()) {
            throw new DomainException(ErrorCode.CONFLICT, "name", "The folder named '" + folder.name() + "' is mounted by sessions that have"
                    + " not ended (" + String.join(", ", using) + (using.size() == USERS_NAMED ? ", and maybe more" : "")
                    + "); it can be " + change + " once they end.");
        }
    }

    /** Whether a background deletion of this folder is still at work (then a second delete has nothing to resume). */
    private boolean deletionRunning(String folderId, Instant now) {
        return tasks.runningSince(FolderDeletion.KIND, now, 1000).stream().anyMatch(t -> t.result().text("folder_id").filter(folderId::equals).isPresent());
    }

    private Optional<Folder> move(Folder folder, Set<FolderStatus> from, FolderStatus to, String reason, Instant at) {
        Optional<Folder> moved = folders.transition(folder.owner(), folder.name(), folder.id(), from, to, reason, at);
        moved.ifPresent(f -> events.folderStatusChanged(f, Optional.of(folder.status())));
        return moved;
    }

    /** The refusal of a change the folder's status does not allow now. */
    static DomainException notReady(Folder folder) {
        return new DomainException(ErrorCode.CONFLICT, "name", "The folder named '" + folder.name() + "' is " + folder.status().wireName()
                + "; it must be ready.");
    }

    /** The store and clock the folder's other use cases share (the path claims of {@link FolderFiles}). */
    FolderStore store() {
        return folders;
    }

    Clock clock() {
        return clock;
    }
}
