package dev.sluice.adapters.folders;

import dev.sluice.core.port.FolderStorage;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
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
    /** The part copies of every multipart copy running in this function (objects are copied concurrently too). */
    private final ExecutorService partCopiers;

    private final java.time.Clock clock;

    /** {@code clock} tells when a copy's deadline has passed (the wiring root's clock). */
    public S3FolderStorage(S3Client s3, S3Presigner presigner, String bucket, long multipartThreshold, long partSize, java.time.Clock clock) {
        this.clock = clock;
        this.s3 = s3;
        this.presigner = presigner;
        this.bucket = bucket;
        this.multipartThreshold = multipartThreshold;
        this.partSize = partSize;
        this.partCopiers = Executors.newFixedThreadPool(PART_COPY_CONCURRENCY, r -> {
            Thread t = new Thread(r, "part-copier");
            t.setDaemon(true);
            return t;
        });
    }

    /** Part copies running at once in one function. */
    static final int PART_COPY_CONCURRENCY = 16;

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
    public long copy(String sourceKey, String targetKey, long size, Instant deadline) {
        if (size <= multipartThreshold) {
            s3.copyObject(b -> b.sourceBucket(bucket).sourceKey(sourceKey).destinationBucket(bucket).destinationKey(targetKey));
            return size;
        }
        long part = FolderStorage.partSize(size, partSize);
        int count = FolderStorage.partCount(size, part);
        Map<Integer, String> done = new ConcurrentHashMap<>();
        String uploadId = unfinishedUpload(targetKey, done);
        if (uploadId == null) {
            if (alreadyCopied(targetKey, size)) {
                // An earlier step completed it and then stopped inside a later object of the same page.
                return size;
            }
            uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(targetKey)).uploadId();
        }
        String upload = uploadId;
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        List<Future<?>> running = new ArrayList<>();
        for (int n = 1; n <= count; n++) {
            if (done.containsKey(n)) {
                continue;
            }
            int number = n;
            long start = (n - 1) * part;
            long end = Math.min(size, start + part) - 1;
            running.add(partCopiers.submit(() -> {
                // A part starts only before the deadline and while no other part failed; one part takes far less
                // than the margin the step keeps between its deadline and its timeout.
                if (failure.get() != null || !clock.instant().isBefore(deadline)) {
                    return;
                }
                try {
                    String etag = s3.uploadPartCopy(b -> b.sourceBucket(bucket).sourceKey(sourceKey).destinationBucket(bucket)
                            .destinationKey(targetKey).uploadId(upload).partNumber(number)
                            .copySourceRange("bytes=" + start + "-" + end)).copyPartResult().eTag();
                    done.put(number, etag);
                } catch (RuntimeException e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        for (Future<?> f : running) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure.compareAndSet(null, new IllegalStateException("interrupted"));
            } catch (ExecutionException e) {
                failure.compareAndSet(null, new IllegalStateException(e.getCause()));
            }
        }
        if (failure.get() != null) {
            s3.abortMultipartUpload(b -> b.bucket(bucket).key(targetKey).uploadId(upload));
            throw failure.get();
        }
        if (done.size() < count) {
            throw new CopyUnfinished(targetKey, done.size(), count);
        }
        List<CompletedPart> parts = new ArrayList<>();
        for (int n = 1; n <= count; n++) {
            parts.add(CompletedPart.builder().partNumber(n).eTag(done.get(n)).build());
        }
        try {
            s3.completeMultipartUpload(b -> b.bucket(bucket).key(targetKey).uploadId(upload).multipartUpload(m -> m.parts(parts)));
        } catch (RuntimeException e) {
            s3.abortMultipartUpload(b -> b.bucket(bucket).key(targetKey).uploadId(upload));
            throw e;
        }
        return size;
    }

    /**
     * The multipart upload a stopped copy left for this key (the latest if several), with the parts it holds put into
     * {@code done}; null when there is none.
     */
    private String unfinishedUpload(String key, Map<Integer, String> done) {
        MultipartUpload latest = null;
        for (MultipartUpload u : s3.listMultipartUploadsPaginator(b -> b.bucket(bucket).prefix(key)).uploads()) {
            if (u.key().equals(key) && (latest == null || u.initiated().isAfter(latest.initiated()))) {
                latest = u;
            }
        }
        if (latest == null) {
            return null;
        }
        String uploadId = latest.uploadId();
        for (software.amazon.awssdk.services.s3.model.Part p : s3.listPartsPaginator(b -> b.bucket(bucket).key(key).uploadId(uploadId)).parts()) {
            done.put(p.partNumber(), p.eTag());
        }
        return uploadId;
    }

    private boolean alreadyCopied(String key, long size) {
        try {
            return s3.headObject(b -> b.bucket(bucket).key(key)).contentLength() == size;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
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
        for (MultipartUpload upload : s3.listMultipartUploadsPaginator(b -> b.bucket(bucket).prefix(prefix)).uploads()) {
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
    public long minimumPartSize() {
        return partSize;
    }

    @Override
    public String startMultipartUpload(String key) {
        return s3.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
    }

    @Override
    public URI presignPart(String key, String uploadId, int partNumber, Duration ttl) {
        return toUri(presigner.presignUploadPart(b -> b.signatureDuration(ttl)
                .uploadPartRequest(u -> u.bucket(bucket).key(key).uploadId(uploadId).partNumber(partNumber))).url());
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
