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

    /** Copies one object inside the bucket (multipart copy above the storage's threshold); its size. */
    long copy(String sourceKey, String targetKey, long size);

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

    record MultipartUpload(String uploadId, List<URI> partUrls, long partSize) {
    }

    MultipartUpload startMultipartUpload(String key, long size, Duration ttl);

    record Part(int number, String etag) {
    }

    void completeMultipartUpload(String key, String uploadId, List<Part> parts);
}
