package dev.sluice.core.port;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The folder bucket: listing, server-side copy, deletion and presigned URLs. Keys are full object keys. */
public interface FolderStorage {
    record StoredObject(String key, long size, String etag) {
    }

    record ListPage(List<StoredObject> objects, Optional<String> nextToken) {
    }

    ListPage list(String prefix, Optional<String> continuationToken, int maxKeys);

    /**
     * Copies one object inside the bucket (multipart copy above the storage's threshold, its parts concurrently); its
     * size. A multipart copy starts no part after {@code deadline}: with parts left it throws {@link CopyUnfinished},
     * and the parts copied so far stay, so that the next copy of the same object to the same key goes on from them.
     */
    long copy(String sourceKey, String targetKey, long size, java.time.Instant deadline);

    /** A multipart copy stopped at its deadline with parts left; the next copy of the object resumes it. */
    final class CopyUnfinished extends RuntimeException {
        public CopyUnfinished(String key, int partsDone, int parts) {
            super("the copy of '" + key + "' stopped at its deadline after " + partsDone + " of " + parts + " parts; it resumes in the next step");
        }
    }

    /** S3's most parts in one multipart upload. */
    int MAX_PARTS = 10_000;
    /** S3's smallest part (but the last). */
    long MIN_PART = 5L * 1024 * 1024;
    /** S3's largest part. */
    long MAX_PART = 5L * 1024 * 1024 * 1024;

    /**
     * The part size of a multipart upload or copy of {@code size} bytes: {@code minimum} (itself at least 5 MiB) unless
     * that would take more than 10,000 parts, else the smallest whole number of MiB that fits in 10,000 parts (525 MiB
     * for S3's largest object, 5 TiB).
     */
    static long partSize(long size, long minimum) {
        long mib = 1024L * 1024;
        long part = Math.max(minimum, MIN_PART);
        if ((size + part - 1) / part <= MAX_PARTS) {
            return part;
        }
        long fits = (size + MAX_PARTS - 1) / MAX_PARTS;
        return Math.min(MAX_PART, (fits + mib - 1) / mib * mib);
    }

    /** How many parts of {@code partSize} bytes hold {@code size} bytes (at least one). */
    static int partCount(long size, long partSize) {
        return (int) Math.max(1, (size + partSize - 1) / partSize);
    }

    /** The most objects {@link #deletePage} removes at once (S3's DeleteObjects limit). */
    int DELETE_PAGE = 1000;

    /** Deletes one page (up to {@link #DELETE_PAGE}) of the objects left under the prefix; how many (0: nothing is left). */
    int deletePage(String prefix);

    /** Aborts the multipart uploads left unfinished under the prefix (their parts cost storage too); how many. */
    int abortUploads(String prefix);

    /** Deletes every object under the prefix, and its unfinished uploads; how many objects. */
    default long deletePrefix(String prefix) {
        long deleted = 0;
        for (int n = deletePage(prefix); n > 0; n = deletePage(prefix)) {
            deleted += n;
        }
        abortUploads(prefix);
        return deleted;
    }

    URI presignGet(String key, Duration ttl);

    URI presignPut(String key, Duration ttl);

    /** The smallest part of this storage's multipart uploads and copies (a bigger one when the object needs it). */
    long minimumPartSize();

    /** Starts a multipart upload of the key; its upload id. */
    String startMultipartUpload(String key);

    /** A presigned PUT of one part of a multipart upload. */
    URI presignPart(String key, String uploadId, int partNumber, Duration ttl);

    record Part(int number, String etag) {
    }

    void completeMultipartUpload(String key, String uploadId, List<Part> parts);
}
