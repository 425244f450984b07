package dev.sluice.adapters.folders;

import dev.sluice.core.port.FolderStorage;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * The folder bucket. Copies are server-side: CopyObject, or UploadPartCopy in parts above the multipart threshold;
 * uploads and downloads are presigned URLs, so folder data never passes through a function.
 */
public final class S3FolderStorage implements FolderStorage {
    private final S3Client s3;
    private final S3Presigner presigner;
    private final String bucket;
    private final long multipartThreshold;
    private final long partSize;

    public S3FolderStorage(S3Client s3, S3Presigner presigner, String bucket, long multipartThreshold, long partSize) {
        this.s3 = s3;
        this.presigner = presigner;
        this.bucket = bucket;
        this.multipartThreshold = multipartThreshold;
        this.partSize = partSize;
    }

    @Override
    public ListPage list(String prefix, Optional<String> continuationToken, int maxKeys) {
        ListObjectsV2Response r;
        try {
            r = s3.listObjectsV2(b -> b.bucket(bucket).prefix(prefix).maxKeys(maxKeys).continuationToken(continuationToken.orElse(null)));
        } catch (S3Exception e) {
            // A token S3 does not know is the caller's mistake, however the store words its refusal.
            if (continuationToken.isPresent()) {
                throw new IllegalArgumentException("not a continuation token of this listing");
            }
            throw e;
        }
        List<StoredObject> objects = new ArrayList<>();
        for (S3Object o : r.contents()) {
            objects.add(new StoredObject(o.key(), o.size(), o.eTag()));
        }
        String next = Boolean.TRUE.equals(r.isTruncated()) ? r.nextContinuationToken() : null;
        return new ListPage(objects, Optional.ofNullable(next));
    }

    @Override
    public long copy(String sourceKey, String targetKey, long size) {
        if (size <= multipartThreshold) {
            s3.copyObject(b -> b.sourceBucket(bucket).sourceKey(sourceKey).destinationBucket(bucket).destinationKey(targetKey));
            return size;
        }
        String uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(targetKey)).uploadId();
        try {
            List<CompletedPart> parts = new ArrayList<>();
            int number = 1;
            for (long start = 0; start < size; start += partSize, number++) {
                long end = Math.min(size, start + partSize) - 1;
                int part = number;
                String range = "bytes=" + start + "-" + end;
                String etag = s3.uploadPartCopy(b -> b.sourceBucket(bucket).sourceKey(sourceKey).destinationBucket(bucket)
                        .destinationKey(targetKey).uploadId(uploadId).partNumber(part).copySourceRange(range)).copyPartResult().eTag();
                parts.add(CompletedPart.builder().partNumber(part).eTag(etag).build());
            }
            s3.completeMultipartUpload(b -> b.bucket(bucket).key(targetKey).uploadId(uploadId).multipartUpload(m -> m.parts(parts)));
            return size;
        } catch (RuntimeException e) {
            s3.abortMultipartUpload(b -> b.bucket(bucket).key(targetKey).uploadId(uploadId));
            throw e;
        }
    }

    @Override
    public int deletePage(String prefix) {
        ListPage page = list(prefix, Optional.empty(), DELETE_PAGE);
        if (page.objects().isEmpty()) {
            return 0;
        }
        List<ObjectIdentifier> ids = page.objects().stream().map(o -> ObjectIdentifier.builder().key(o.key()).build()).toList();
        DeleteObjectsResponse response = s3.deleteObjects(b -> b.bucket(bucket).delete(d -> d.objects(ids).quiet(true)));
        if (response.hasErrors() && !response.errors().isEmpty()) {
            S3Error first = response.errors().get(0);
            throw new IllegalStateException(response.errors().size() + " of " + ids.size() + " objects could not be deleted; first: "
                    + first.key() + ": " + first.code() + " " + first.message());
        }
        return ids.size();
    }

    @Override
    public int abortUploads(String prefix) {
        int aborted = 0;
        for (software.amazon.awssdk.services.s3.model.MultipartUpload upload : s3.listMultipartUploadsPaginator(b -> b.bucket(bucket).prefix(prefix)).uploads()) {
            s3.abortMultipartUpload(b -> b.bucket(bucket).key(upload.key()).uploadId(upload.uploadId()));
            aborted++;
        }
        return aborted;
    }

    @Override
    public URI presignGet(String key, Duration ttl) {
        return toUri(presigner.presignGetObject(b -> b.signatureDuration(ttl).getObjectRequest(g -> g.bucket(bucket).key(key))).url());
    }

    @Override
    public URI presignPut(String key, Duration ttl) {
        return toUri(presigner.presignPutObject(b -> b.signatureDuration(ttl).putObjectRequest(g -> g.bucket(bucket).key(key))).url());
    }

    @Override
    public MultipartUpload startMultipartUpload(String key, long size, Duration ttl) {
        String uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
        // At most 10,000 parts of at least 16 MiB.
        long part = Math.max(partSize, (size + 9_999) / 10_000);
        List<URI> urls = new ArrayList<>();
        int number = 1;
        for (long start = 0; start < size; start += part, number++) {
            int n = number;
            urls.add(toUri(presigner.presignUploadPart(b -> b.signatureDuration(ttl)
                    .uploadPartRequest(u -> u.bucket(bucket).key(key).uploadId(uploadId).partNumber(n))).url()));
        }
        return new MultipartUpload(uploadId, urls, part);
    }

    @Override
    public void completeMultipartUpload(String key, String uploadId, List<Part> parts) {
        List<CompletedPart> completed = parts.stream().map(p -> CompletedPart.builder().partNumber(p.number()).eTag(p.etag()).build()).toList();
        try {
            s3.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(completed)));
        } catch (S3Exception e) {
            if (e.statusCode() == 400 || e.statusCode() == 404) {
                throw new IllegalArgumentException("the upload could not be completed: " + e.awsErrorDetails().errorMessage());
            }
            throw e;
        }
    }

    private static URI toUri(java.net.URL url) {
        try {
            return url.toURI();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
