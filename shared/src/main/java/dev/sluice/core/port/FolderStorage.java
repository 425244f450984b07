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

    /** Deletes every object under the prefix; how many. */
    long deletePrefix(String prefix);

    URI presignGet(String key, Duration ttl);

    URI presignPut(String key, Duration ttl);

    record MultipartUpload(String uploadId, List<URI> partUrls, long partSize) {
    }

    MultipartUpload startMultipartUpload(String key, long size, Duration ttl);

    record Part(int number, String etag) {
    }

    void completeMultipartUpload(String key, String uploadId, List<Part> parts);
}
