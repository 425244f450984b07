package dev.sluice.core.usecase;

import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import dev.sluice.core.folder.CloneRequest;
import dev.sluice.core.folder.Folder;
import dev.sluice.core.folder.FolderSpec;
import dev.sluice.core.folder.FolderStatus;
import dev.sluice.core.port.CloneWorkflow;
import dev.sluice.core.port.FolderEvents;
import dev.sluice.core.port.FolderStorage;
import dev.sluice.core.port.FolderStore;
import dev.sluice.core.port.FolderUsers;
import dev.sluice.core.port.IdGenerator;
import dev.sluice.core.port.TaskStore;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.task.BackgroundTask;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Virtual folders: their records, their data through presigned URLs, deletion, and starting a clone. */
public final class FolderService {
    /** Presigned URLs are valid this long. */
    public static final Duration URL_TTL = Duration.ofHours(1);
    /** S3's limit for one object (a single PUT takes at most 5 GiB; above the threshold uploads are multipart). */
    public static final long MAX_OBJECT_SIZE = 5L * 1024 * 1024 * 1024 * 1024;

    private final FolderStore folders;
    private final TaskStore tasks;
    private final FolderStorage storage;
    private final CloneWorkflow workflow;
    private final FolderEvents events;
    private final IdGenerator ids;
    private final Clock clock;
    private final CloneSettings settings;

    /** Page size of the copy and how many pages one execution copies before it continues as a new one. */
    public record CloneSettings(int pageSize, int pagesPerExecution, long multipartUploadThreshold) {
    }

    /**
     * What a delete request removes itself before it answers, at most: 20 pages (20,000 objects) within 20 s, and never
     * past the request's deadline (its function's time left and API Gateway's 29 s, {@link #delete(Principal, String,
     * Instant)}); a bigger folder goes on as a background task.
     */
    public static final FolderDeletion.Budget REQUEST_DELETION_BUDGET = new FolderDeletion.Budget(20, Duration.ofSeconds(20));

    private final FolderDeletion deletion;
    private final FolderUsers users;
    private final FolderDeletion.Budget deletionBudget;

    public FolderService(FolderStore folders, TaskStore tasks, FolderStorage storage, CloneWorkflow workflow, FolderEvents events,
                         FolderUsers users, IdGenerator ids, Clock clock, CloneSettings settings) {
        this(folders, tasks, storage, workflow, events, users, ids, clock, settings, REQUEST_DELETION_BUDGET);
    }

    public FolderService(FolderStore folders, TaskStore tasks, FolderStorage storage, CloneWorkflow workflow, FolderEvents events,
                         FolderUsers users, IdGenerator ids, Clock clock, CloneSettings settings, FolderDeletion.Budget deletionBudget) {
        this.users = users;
        this.deletion = new FolderDeletion(folders, tasks, storage, events, ids, clock);
        this.deletionBudget = deletionBudget;
        this.folders = folders;
        this.tasks = tasks;
        this.storage = storage;
        this.workflow = workflow;
        this.events = events;
        this.ids = ids;
        this.clock = clock;
        this.settings = settings;
    }

    public Folder create(Principal caller, Map<String, Object> body) {
        FolderSpec spec = FolderSpec.parse(body);
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

    public Folder rename(Principal caller, String name, Map<String, Object> body) {
        RequestFields f = RequestFields.of(body);
        f.refuseUnknown(Set.of("name"));
        String newName = FolderSpec.requireName(f.requireString("name"), "name");
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
        return tasks.runningSince(FolderDeletion.KIND, now, 1000).stream().anyMatch(t -> folderId.equals(t.result().get("folder_id")));
    }

    private Optional<Folder> move(Folder folder, Set<FolderStatus> from, FolderStatus to, String reason, Instant at) {
        Optional<Folder> moved = folders.transition(folder.owner(), folder.name(), folder.id(), from, to, reason, at);
        moved.ifPresent(f -> events.folderStatusChanged(f, Optional.of(folder.status())));
        return moved;
    }

    private static DomainException notReady(Folder folder) {
        return new DomainException(ErrorCode.CONFLICT, "name", "The folder named '" + folder.name() + "' is " + folder.status().wireName()
                + "; it must be ready.");
    }

    /** The answer to a clone request: the target as created and the task doing the copy. */
    public record CloneStarted(Folder target, BackgroundTask task) {
    }

    /**
     * Starts a clone: the checks of REFERENCE §6, one conditional write (target {@code cloning}, source
     * {@code performing}, task {@code started}), then the background execution. Returns at once.
     */
    public CloneStarted clone(Principal caller, String sourceName, Map<String, Object> body) {
        CloneRequest request = CloneRequest.parse(body);
        Folder source = get(caller, sourceName);
        if (!source.cloneable()) {
            throw DomainException.invalidBecause("name", "The folder named '" + sourceName + "' is not cloneable.");
        }
        if (source.status() != FolderStatus.READY) {
            throw notReady(source);
        }
        Instant now = clock.instant();
        Folder target = Folder.create(ids.newId(), caller.subject(), request.targetSpec(source), FolderStatus.CLONING,
                "cloning from '" + source.name() + "'", now);
        String taskId = ids.newId();
        Map<String, Object> refs = new LinkedHashMap<>();
        refs.put("source_id", source.id());
        refs.put("source_name", source.name());
        refs.put("target_id", target.id());
        refs.put("target_name", target.name());
        BackgroundTask task = BackgroundTask.started(taskId, BackgroundTask.KIND_CLONE, caller.subject(), refs, now);
        switch (folders.startClone(source, target, task)) {
            case TARGET_NAME_TAKEN:
                throw new DomainException(ErrorCode.CONFLICT, "target_name", "You already have a folder named '" + target.name() + "'; choose another target_name.");
            case SOURCE_NOT_READY:
                throw notReady(get(caller, sourceName));
            default:
                break;
        }
        events.folderStatusChanged(target, Optional.empty());
        events.folderStatusChanged(source.withStatus(FolderStatus.PERFORMING, "cloning to '" + target.name() + "'", now),
                Optional.of(FolderStatus.READY));
        events.taskUpdated(task, "updated");
        CloneJob job = new CloneJob(taskId, caller.subject(), source.id(), source.name(), target.id(), target.name());
        try {
            String execution = workflow.start(CloneJob.executionName(taskId, 0), CloneState.first(job, settings));
            tasks.setExecution(taskId, execution);
        } catch (RuntimeException e) {
            new CloneCleanup(folders, tasks, storage, events, clock).run(job, "the clone could not be started");
            throw e;
        }
        return new CloneStarted(target, task);
    }

    // ---------------------------------------------------------------- data, through presigned URLs

    /**
     * Presigned part URLs in one answer. On AWS each URL carries the function's session token (1.5-2 KB), so 1,000
     * of them stay near 2 MB, well under Lambda's 6 MB response limit; a file of more parts gets them page by page.
     */
    public static final int PART_URLS_PER_PAGE = 1000;

    /**
     * A presigned single PUT, or for a large file a multipart upload with presigned URLs for its first
     * {@link #PART_URLS_PER_PAGE} parts and {@code next_part}; the same request with {@code upload_id} and
     * {@code first_part} gives the URLs of the next parts of that upload.
     */
    public Map<String, Object> upload(Principal caller, String name, Map<String, Object> body) {
        RequestFields f = RequestFields.of(body);
        f.refuseUnknown(Set.of("path", "size", "upload_id", "first_part"));
        String path = objectPath(f.requireString("path"), "path");
        Object sizeValue = body.get("size");
        long size = 0;
        if (sizeValue != null) {
            if (!(sizeValue instanceof Integer || sizeValue instanceof Long)) {
                throw DomainException.invalid("size", "must be a whole number of bytes");
            }
            size = ((Number) sizeValue).longValue();
            if (size < 0 || size > MAX_OBJECT_SIZE) {
                throw DomainException.invalid("size", "must be between 0 and " + MAX_OBJECT_SIZE + " bytes");
            }
        }
        Optional<String> uploadId = f.optionalString("upload_id");
        uploadId.ifPresent(id -> uploadId(id, "upload_id"));
        Object firstValue = body.get("first_part");
        if (firstValue != null && !(firstValue instanceof Integer)) {
            throw DomainException.invalid("first_part", "must be a part number (a whole number from 1)");
        }
        if (uploadId.isPresent() != (firstValue != null)) {
            throw DomainException.invalid(uploadId.isPresent() ? "first_part" : "upload_id",
                    "is required with " + (uploadId.isPresent() ? "upload_id" : "first_part") + " (the next page of an upload's part URLs)");
        }
        boolean multipart = size > settings.multipartUploadThreshold();
        if (uploadId.isPresent() && !multipart) {
            throw DomainException.invalid("size", "must be the size of the multipart upload (above "
                    + settings.multipartUploadThreshold() + " bytes) to page its part URLs");
        }
        long partSize = FolderStorage.partSize(size, storage.minimumPartSize());
        int partCount = FolderStorage.partCount(size, partSize);
        int first = firstValue == null ? 1 : (Integer) firstValue;
        if (first < 1 || first > partCount) {
            throw DomainException.invalid("first_part", "must be from 1 to " + partCount + " (the parts of a file of " + size + " bytes)");
        }
        Folder folder = writable(caller, name);
        String key = objectKey(folder.prefix(), path, "path");
        if (uploadId.isEmpty()) {
            refuseCollision(storage, folder.prefix(), path, "path");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("path", path);
        out.put("expires_in", URL_TTL.toSeconds());
        if (multipart) {
            String id = uploadId.orElseGet(() -> storage.startMultipartUpload(key));
            int last = Math.min(partCount, first + PART_URLS_PER_PAGE - 1);
            List<Map<String, Object>> parts = new ArrayList<>();
            for (int n = first; n <= last; n++) {
                parts.add(Map.of("number", n, "url", storage.presignPart(key, id, n, URL_TTL).toString()));
            }
            out.put("method", "multipart");
            out.put("upload_id", id);
            out.put("part_size", partSize);
            out.put("part_count", partCount);
            out.put("parts", parts);
            out.put("next_part", last < partCount ? last + 1 : null);
        } else {
            out.put("method", "PUT");
            out.put("url", storage.presignPut(key, URL_TTL).toString());
        }
        return out;
    }

    /** The longest upload id taken (S3's are far shorter). */
    static final int MAX_UPLOAD_ID = 1024;
    /** The longest part ETag taken (S3's are a quoted MD5, 34 characters). */
    static final int MAX_ETAG = 256;

    private static String uploadId(String id, String field) {
        if (id.isEmpty() || id.length() > MAX_UPLOAD_ID || !id.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw DomainException.invalid(field, "must be the upload id the start of the upload gave (1 to " + MAX_UPLOAD_ID
                    + " printable characters)");
        }
        return id;
    }

    /** Completes a multipart upload with the ETag of every part. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> completeUpload(Principal caller, String name, Map<String, Object> body) {
        RequestFields f = RequestFields.of(body);
        f.refuseUnknown(Set.of("path", "upload_id", "parts"));
        String path = objectPath(f.requireString("path"), "path");
        String uploadId = uploadId(f.requireString("upload_id"), "upload_id");
        if (!(body.get("parts") instanceof List<?> list) || list.isEmpty() || list.size() > FolderStorage.MAX_PARTS) {
            throw DomainException.invalid("parts", "must be a list of 1 to 10000 {number, etag} objects");
        }
        List<FolderStorage.Part> parts = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> m) || !(m.get("number") instanceof Integer n) || !(m.get("etag") instanceof String etag)
                    || n < 1 || n > FolderStorage.MAX_PARTS || etag.isEmpty() || etag.length() > MAX_ETAG) {
                throw DomainException.invalid("parts[" + i + "]", "must be {number: 1..10000, etag: a string of 1 to " + MAX_ETAG
                        + " characters}");
            }
            parts.add(new FolderStorage.Part(n, etag));
        }
        Folder folder = writable(caller, name);
        try {
            storage.completeMultipartUpload(objectKey(folder.prefix(), path, "path"), uploadId, parts);
        } catch (IllegalArgumentException e) {
            throw DomainException.invalidBecause("upload_id", "upload_id was refused by the storage: " + e.getMessage() + (e.getMessage().endsWith(".") ? "" : "."));
        }
        return Map.of("path", path, "status", "complete");
    }

    public Map<String, Object> download(Principal caller, String name, String rawPath) {
        String path = objectPath(rawPath, "path");
        Folder folder = get(caller, name);
        if (folder.status().isDeletingOrBroken() || folder.status() == FolderStatus.CLONING) {
            throw notReady(folder);
        }
        return Map.of("path", path, "method", "GET", "url", storage.presignGet(folder.prefix() + path, URL_TTL).toString(),
                "expires_in", URL_TTL.toSeconds());
    }

    /** One page of the folder's files: paths relative to the folder, sizes, and a cursor for the next page. */
    public Map<String, Object> files(Principal caller, String name, Optional<String> cursor, int limit) {
        Folder folder = get(caller, name);
        Optional<String> token = cursor.map(c -> {
            try {
                return decodeCursor(folder.prefix(), c);
            } catch (IllegalArgumentException e) {
                throw DomainException.invalid("cursor", "is not a cursor this listing of folder '" + folder.name() + "' gave");
            }
        });
        FolderStorage.ListPage page;
        try {
            page = storage.list(folder.prefix(), token, limit);
        } catch (IllegalArgumentException e) {
            throw DomainException.invalid("cursor", "is not a cursor this listing of folder '" + folder.name() + "' gave");
        }
        List<Map<String, Object>> items = page.objects().stream().map(o -> {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("path", o.key().substring(folder.prefix().length()));
            v.put("size", o.size());
            return v;
        }).toList();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("items", items);
        out.put("next_cursor", page.nextToken().map(t -> encodeCursor(folder.prefix(), t)).orElse(null));
        return out;
    }

    /**
     * Cursors are the storage's continuation tokens sealed for the folder's prefix ({@link CursorSeal}), so that a
     * cursor of another folder, an altered one or anything else is refused before S3. A token of any length round-trips.
     */
    static String encodeCursor(String prefix, String token) {
        return CursorSeal.seal("folder-files:" + prefix, token);
    }

    /** The continuation token of a cursor {@link #encodeCursor} gave for this prefix; IllegalArgumentException else. */
    static String decodeCursor(String prefix, String cursor) {
        String token = CursorSeal.open("folder-files:" + prefix, cursor).orElseThrow(() -> new IllegalArgumentException("not a cursor"));
        if (token.isEmpty()) {
            throw new IllegalArgumentException("not a cursor");
        }
        return token;
    }

    private Folder writable(Principal caller, String name) {
        Folder folder = get(caller, name);
        if (folder.status() != FolderStatus.READY && folder.status() != FolderStatus.MOUNTED) {
            throw notReady(folder);
        }
        return folder;
    }

    /** S3's limit on a whole object key, in UTF-8 bytes. */
    public static final int MAX_KEY_BYTES = 1024;
    /** The longest file or directory name a POSIX host takes (NAME_MAX), in UTF-8 bytes. */
    public static final int MAX_SEGMENT_BYTES = 255;

    /**
     * A path inside a folder: relative, no empty, '.' or '..' segment, at most 1,024 UTF-8 bytes, each segment at most
     * 255 bytes (so that every host can write it).
     */
    static String objectPath(String path, String field) {
        if (path.isEmpty() || path.startsWith("/") || path.endsWith("/") || path.contains("\\")) {
            throw DomainException.invalid(field, "must be a relative file path (no leading or trailing '/', no '\\')");
        }
        if (utf8(path) > MAX_KEY_BYTES) {
            throw DomainException.invalid(field, "must be at most " + MAX_KEY_BYTES + " bytes in UTF-8 (it is " + utf8(path) + ")");
        }
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw DomainException.invalid(field, "must not contain empty, '.' or '..' segments");
            }
            if (utf8(segment) > MAX_SEGMENT_BYTES) {
                throw DomainException.invalid(field, "must not have a segment (a file or directory name) over " + MAX_SEGMENT_BYTES
                        + " bytes in UTF-8; one has " + utf8(segment));
            }
        }
        for (char c : path.toCharArray()) {
            if (c < 0x20 || c == 0x7f) {
                throw DomainException.invalid(field, "must not contain control characters");
            }
        }
        return path;
    }

    /** The storage key of {@code path} under {@code prefix}, refused when the whole key is over S3's 1,024 bytes. */
    static String objectKey(String prefix, String path, String field) {
        String key = prefix + path;
        if (utf8(key) > MAX_KEY_BYTES) {
            throw DomainException.invalid(field, "must be at most " + (MAX_KEY_BYTES - utf8(prefix)) + " bytes in UTF-8 in this folder (S3 keys are at most "
                    + MAX_KEY_BYTES + " bytes with the folder's " + utf8(prefix) + "-byte prefix; it is " + utf8(path) + ")");
        }
        return key;
    }

    /**
     * Refuses a new file {@code path} that no host could write beside the folder's files: a file named like one of its
     * directories ({@code a} beside {@code a/b}), or a path under an existing file ({@code a/b} beside {@code a}).
     */
    static void refuseCollision(FolderStorage storage, String prefix, String path, String field) {
        if (!storage.list(prefix + path + "/", Optional.empty(), 1).objects().isEmpty()) {
            throw DomainException.invalid(field, "names a directory of the folder's files ('" + path + "/...'); a file cannot have the same path");
        }
        for (int slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
            String parent = path.substring(0, slash);
            // The first key under "<prefix><parent>" is the parent itself when that file exists ("a" sorts before "a-", "a/", ...).
            List<FolderStorage.StoredObject> first = storage.list(prefix + parent, Optional.empty(), 1).objects();
            if (!first.isEmpty() && first.get(0).key().equals(prefix + parent)) {
                throw DomainException.invalid(field, "is under '" + parent + "', which is a file of the folder; a file cannot also be a directory");
            }
        }
    }

    private static int utf8(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }
}
