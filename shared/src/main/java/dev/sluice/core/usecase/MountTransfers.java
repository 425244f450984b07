package dev.sluice.core.usecase;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import dev.sluice.core.folder.Folder;
import dev.sluice.core.port.FolderStorage;
import dev.sluice.core.port.FolderStore;
import dev.sluice.core.port.SessionStore;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.session.FolderMount;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionId;
import dev.sluice.core.session.SessionStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Folder data for the agent that runs a session: presigned URLs for the files of the folders the session mounts, so
 * the agent copies them in before the workload starts, and presigned uploads for what a writable mount holds when the
 * workload ends. The agent needs no S3 permission of its own, and it gets URLs only for the mounts of sessions placed
 * on it: another session's folders, or a folder the session does not mount, are not found.
 */
public final class MountTransfers {
    /** Presigned URLs for an agent are valid this long (a page is downloaded well within it). */
    public static final Duration URL_TTL = Duration.ofHours(1);
    /** How long a save's claim on a path holds: the URL's lifetime and time to finish the PUT. */
    static final Duration CLAIM_TTL = URL_TTL.plusHours(1);
    /** Files listed (and presigned) per page. */
    public static final int PAGE = 500;
    /** S3's largest single PUT. */
    public static final long MAX_UPLOAD = 5L * 1024 * 1024 * 1024;
    /** The statuses in which an agent copies a session's folders in (it reports PREPARING as it starts to). */
    private static final Set<SessionStatus> COPYING_IN = java.util.EnumSet.of(SessionStatus.SCHEDULED, SessionStatus.PULLING,
            SessionStatus.PREPARING, SessionStatus.RESTARTING);

    private final SessionStore sessions;
    private final FolderStore folders;
    private final FolderStorage storage;
    private final Clock clock;

    public MountTransfers(SessionStore sessions, FolderStore folders, FolderStorage storage, Clock clock) {
        this.sessions = sessions;
        this.folders = folders;
        this.storage = storage;
        this.clock = clock;
    }

    /** One file of a mounted folder: its path relative to the folder, its size and a presigned GET. */
    public record MountFile(String path, long size, String url) {
    }

    /** One page of a mounted folder's files and the cursor of the next page, if any. */
    public record MountPage(List<MountFile> items, Optional<String> nextCursor) {
    }

    /** A presigned PUT of one file into a writable mount, and how long it holds. */
    public record MountUpload(String path, String url, Duration expiresIn) {
    }

    /** A page of the mounted folder's files: path (relative), size and a presigned GET; the cursor of the next page. */
    public MountPage files(String agentId, String sessionId, String mountName, Optional<String> cursor) {
        Session session = hosted(agentId, sessionId);
        if (!COPYING_IN.contains(session.status())) {
            // The agent copies folders in only while it prepares the session: a running workload that got hold of the
            // agent's identity cannot read the folders of the other sessions running beside it.
            throw new DomainException(ErrorCode.CONFLICT, "id", "The session with id '" + sessionId + "' is "
                    + session.status().name() + ": its folders are copied onto the host only while it is being prepared.");
        }
        FolderMount mount = mountOf(session, mountName);
        Folder folder = mountedFolder(session, mount);
        if (!folder.status().isUsable()) {
            throw new DomainException(ErrorCode.CONFLICT, "name", "The folder named '" + mountName + "' is " + folder.status().wireName() + ".");
        }
        Optional<String> token = cursor.map(c -> {
            try {
                return FileCursor.decodeCursor(mount.prefix(), c);
            } catch (IllegalArgumentException e) {
                throw DomainException.invalid("cursor", "is not a cursor this listing of mount '" + mountName + "' gave");
            }
        });
        FolderStorage.ListPage page;
        try {
            page = storage.list(mount.prefix(), token, PAGE);
        } catch (IllegalArgumentException e) {
            throw DomainException.invalid("cursor", "is not a cursor this listing of mount '" + mountName + "' gave");
        }
        List<MountFile> items = page.objects().stream().map(o -> new MountFile(o.key().substring(mount.prefix().length()),
                o.size(), storage.presignGet(o.key(), URL_TTL).toString())).toList();
        return new MountPage(items, page.nextToken().map(t -> FileCursor.encodeCursor(mount.prefix(), t)));
    }

    /**
     * A presigned PUT for one file of a writable mount ({@code rw} or {@code wd}), while the session still runs or
     * ends on the agent, and only into a folder that still exists under the mounted name and is usable.
     */
    public MountUpload upload(String agentId, String sessionId, String mountName, RequestFields f) {
        Map<String, Object> body = f.raw();
        f.refuseUnknown(Set.of("path", "size"));
        String path = FilePaths.objectPath(f.requireString("path"), "path");
        if (!(body.get("size") instanceof Integer || body.get("size") instanceof Long)) {
            throw DomainException.invalid("size", "must be a whole number of bytes");
        }
        long size = ((Number) body.get("size")).longValue();
        if (size < 0 || size > MAX_UPLOAD) {
            throw DomainException.invalid("size", "must be between 0 and " + MAX_UPLOAD + " bytes (one PUT)");
        }
        Session session = hosted(agentId, sessionId);
        FolderMount mount = mountOf(session, mountName);
        if (!mount.permission().equals("rw") && !mount.permission().equals("wd")) {
            throw new DomainException(ErrorCode.FORBIDDEN, "name", "The folder named '" + mountName + "' is mounted read-only.");
        }
        Folder folder = mountedFolder(session, mount);
        if (!folder.status().takesWrites()) {
            // Being cloned (a copy in progress must not change under it), deleted or broken: the API's own rule for writes.
            throw new DomainException(ErrorCode.CONFLICT, "name", "The folder named '" + mountName + "' is " + folder.status().wireName()
                    + "; it must be ready to take the session's changes.");
        }
        // The API's rules for a file's path hold for a session's save too: not over a directory of the folder nor under one
        // of its files, and claimed before the URL, so a user's upload racing this save cannot make "a" a file and a
        // directory at once (of the two, one gets a 422 naming the path).
        FilePaths.refuseCollision(storage, mount.prefix(), path, "path");
        Instant now = clock.instant();
        FilePaths.claim(folders, folder.id(), path, "path", now.plus(CLAIM_TTL), now);
        return new MountUpload(path, storage.presignPut(FilePaths.objectKey(mount.prefix(), path, "path"), URL_TTL).toString(), URL_TTL);
    }

    /**
     * The folder the session mounted, if it still has that name. Folders that sessions mount can be neither renamed
     * nor deleted, but a session created while one was being renamed or deleted is not seen by that check: it must
     * neither copy in nor save into whatever now has the name (or nothing), and fails instead.
     */
    private Folder mountedFolder(Session session, FolderMount mount) {
        return folders.find(session.owner(), mount.name()).filter(x -> x.id().equals(mount.folderId()))
                .orElseThrow(() -> new DomainException(ErrorCode.CONFLICT, "name",
                        "The folder named '" + mount.name() + "' no longer exists under that name."));
    }

    private static FolderMount mountOf(Session session, String mountName) {
        return session.spec().folderMounts().stream().filter(m -> m.name().equals(mountName)).findFirst()
                .orElseThrow(() -> DomainException.notFound("folder '" + mountName + "' mounted by session '" + session.id() + "'"));
    }

    /**
     * The session, if one of its kernels still holds this agent (not released: a session taken from a lost agent is
     * not its any more) and it has neither ended nor failed.
     */
    private Session hosted(String agentId, String sessionId) {
        if (!SessionId.isWellFormed(sessionId)) {
            throw DomainException.notFound("session '" + sessionId + "' on this agent");
        }
        Session s = sessions.find(sessionId)
                .filter(x -> x.unreleasedKernels().stream().anyMatch(k -> k.agentId().equals(agentId)))
                .orElseThrow(() -> DomainException.notFound("session '" + sessionId + "' on this agent"));
        if (s.status().isDead()) {
            throw new DomainException(ErrorCode.CONFLICT, "id", "The session with id '" + sessionId + "' has ended (" + s.status().name() + ").");
        }
        return s;
    }
}
