package dev.sluice.core.usecase;

import static dev.sluice.core.usecase.FileCursor.decodeCursor;
import static dev.sluice.core.usecase.FileCursor.encodeCursor;
import static dev.sluice.core.usecase.FilePaths.objectKey;
import static dev.sluice.core.usecase.FilePaths.objectPath;
import static dev.sluice.core.usecase.FilePaths.refuseCollision;

import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.folder.Folder;
import dev.sluice.core.port.FolderStorage;
import dev.sluice.core.port.FolderStore;
import dev.sluice.core.request.RequestFields;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** A folder's data through presigned URLs: uploads (single or multipart), downloads, and the listing of its files. */
public final class FolderFiles {
    /** Presigned URLs are valid this long. */
    public static final Duration URL_TTL = Duration.ofHours(1);
    /** S3's limit for one object (a single PUT takes at most 5 GiB; above the threshold uploads are multipart). */
    public static final long MAX_OBJECT_SIZE = 5L * 1024 * 1024 * 1024 * 1024;

    private final FolderCatalog catalog;
    private final FolderStorage storage;
    private final CloneSettings settings;

    /** {@code settings} gives the size above which an upload is multipart. */
    public FolderFiles(FolderCatalog catalog, FolderStorage storage, CloneSettings settings) {
        this.catalog = catalog;
        this.storage = storage;
        this.settings = settings;
    }

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
    public Upload upload(Principal caller, String name, RequestFields f) {
        Map<String, Object> body = f.raw();
        f.refuseUnknownOrNull(Set.of("path", "size", "upload_id", "first_part"));
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
        // After the check of what is stored (a refused upload claims nothing), before any URL.
        claim(folder, path, "path");
        if (multipart) {
            String id = uploadId.orElseGet(() -> storage.startMultipartUpload(key));
            int last = Math.min(partCount, first + PART_URLS_PER_PAGE - 1);
            List<Upload.PartUrl> parts = new ArrayList<>();
            for (int n = first; n <= last; n++) {
                parts.add(new Upload.PartUrl(n, storage.presignPart(key, id, n, URL_TTL).toString()));
            }
            return new Upload.Multipart(path, URL_TTL, id, partSize, partCount, parts,
                    last < partCount ? Optional.of(last + 1) : Optional.empty());
        }
        return new Upload.Put(path, URL_TTL, storage.presignPut(key, URL_TTL).toString());
    }

    /** The answer to an upload request: a presigned single PUT, or a page of a multipart upload's part URLs. */
    public sealed interface Upload permits Upload.Put, Upload.Multipart {
        String path();

        Duration expiresIn();

        record Put(String path, Duration expiresIn, String url) implements Upload {
        }

        /** One page of part URLs; {@code nextPart} is the first part of the next page, empty on the last one. */
        record Multipart(String path, Duration expiresIn, String uploadId, long partSize, int partCount, List<PartUrl> parts,
                         Optional<Integer> nextPart) implements Upload {
            public Multipart {
                parts = List.copyOf(parts);
            }
        }

        record PartUrl(int number, String url) {
        }
    }

    /** The longest upload id taken (S3's are far shorter). */
    public static final int MAX_UPLOAD_ID = 1024;
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
    public String completeUpload(Principal caller, String name, RequestFields f) {
        Map<String, Object> body = f.raw();
        f.refuseUnknownOrNull(Set.of("path", "upload_id", "parts"));
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
        return path;
    }

    /** A presigned GET for one file of a usable folder ({@link dev.sluice.core.folder.FolderStatus#isUsable()}). */
    /** A presigned GET: the file's path in the folder, its URL and how long the URL holds. */
    public record Download(String path, String url, Duration expiresIn) {
    }

    /** One file of a listing: its path relative to the folder and its size in bytes. */
    public record FileEntry(String path, long size) {
    }

    /** One page of a folder's files and the cursor of the next page, if any. */
    public record FilePage(List<FileEntry> items, Optional<String> nextCursor) {
    }

    public Download download(Principal caller, String name, String rawPath) {
        String path = objectPath(rawPath, "path");
        Folder folder = get(caller, name);
        if (!folder.status().isUsable()) {
            throw notReady(folder);
        }
        return new Download(path, storage.presignGet(folder.prefix() + path, URL_TTL).toString(), URL_TTL);
    }

    /** One page of the folder's files: paths relative to the folder, sizes, and a cursor for the next page. */
    public FilePage files(Principal caller, String name, Optional<String> cursor, int limit) {
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
        List<FileEntry> items = page.objects().stream()
                .map(o -> new FileEntry(o.key().substring(folder.prefix().length()), o.size())).toList();
        return new FilePage(items, page.nextToken().map(t -> encodeCursor(folder.prefix(), t)));
    }

    private Folder writable(Principal caller, String name) {
        Folder folder = get(caller, name);
        if (!folder.status().takesWrites()) {
            throw notReady(folder);
        }
        return folder;
    }

    private Folder get(Principal caller, String name) {
        return catalog.get(caller, name);
    }

    private static DomainException notReady(Folder folder) {
        return FolderCatalog.notReady(folder);
    }

    /** How long an upload's claim on its path holds: its URLs' lifetime and time to finish the PUT or the parts. */
    static final Duration CLAIM_TTL = URL_TTL.plusHours(1);

    /**
     * Claims {@code path} as a file of the folder (and its parents as directories) before any URL is given: of two
     * uploads racing for {@code a} and {@code a/b}, exactly one gets URLs, the other a 422. The S3 check before it
     * ({@link FilePaths#refuseCollision}) covers the files already there.
     */
    private void claim(Folder folder, String path, String field) {
        Instant now = catalog.clock().instant();
        FilePaths.claim(catalog.store(), folder.id(), path, field, now.plus(CLAIM_TTL), now);
    }
}
