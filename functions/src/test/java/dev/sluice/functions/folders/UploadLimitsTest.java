package dev.sluice.functions.folders;

import dev.sluice.core.request.RequestFields;

import dev.sluice.core.folder.FolderSpec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.adapters.json.Json;
import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.folder.Folder;
import dev.sluice.core.folder.FolderStatus;
import dev.sluice.core.port.FolderEvents;
import dev.sluice.core.port.FolderStorage;
import dev.sluice.core.task.BackgroundTask;
import dev.sluice.core.usecase.CloneSettings;
import dev.sluice.core.usecase.CloneStepsTest;
import dev.sluice.core.usecase.FolderCatalog;
import dev.sluice.core.usecase.FolderFiles;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Service limits of folder data that the emulator does not apply: S3's 10,000 parts of 5 MiB to 5 GiB, Lambda's 6 MB
 * response with presigned URLs as long as AWS makes them (each carries a 1.5-2 KB session token). The answer is measured
 * as the API writes it (FolderViews.upload), so the test lives with that view.
 */
class UploadLimitsTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-01T10:00:00Z"), ZoneOffset.UTC);
    private static final Principal ALICE = new Principal("alice", "alice", Set.of("users"));
    private static final long MIB = 1024L * 1024;
    private static final long TIB = 1024L * 1024 * MIB;
    /** Lambda's limit on a synchronous response. */
    private static final int LAMBDA_RESPONSE = 6 * 1024 * 1024;

    /** Presigns as AWS would in a function: a 2 KB URL (a session token) for every part; remembers the completion. */
    static final class AwsSizedUrls implements FolderStorage {
        final List<Part> completed = new ArrayList<>();
        int uploadsStarted;

        private static URI url(String key, String query) {
            String token = "X-Amz-Security-Token=" + "T".repeat(2048 - 200 - key.length());
            return URI.create("https://sluice-folders-123456789012.s3.eu-west-1.amazonaws.com/" + key + "?" + query + "&" + token);
        }

        @Override public ListPage list(String prefix, Optional<String> token, int maxKeys) { return new ListPage(List.of(), Optional.empty()); }
        @Override public long copy(String sourceKey, String targetKey, long size, Instant deadline) { throw new UnsupportedOperationException(); }
        @Override public int deletePage(String prefix) { return 0; }
        @Override public int abortUploads(String prefix) { return 0; }
        @Override public URI presignGet(String key, Duration ttl) { return url(key, "x-id=GetObject"); }
        @Override public URI presignPut(String key, Duration ttl) { return url(key, "x-id=PutObject"); }
        @Override public long minimumPartSize() { return 16 * MIB; }
        @Override public String startMultipartUpload(String key) { uploadsStarted++; return "upload-" + "x".repeat(120); }
        @Override public URI presignPart(String key, String uploadId, int partNumber, Duration ttl) {
            return url(key, "partNumber=" + partNumber + "&uploadId=" + uploadId + "&x-id=UploadPart");
        }
        @Override public void completeMultipartUpload(String key, String uploadId, List<Part> parts) { completed.addAll(parts); }
    }

    private AwsSizedUrls storage;
    private FolderFiles service;

    @BeforeEach
    void wire() {
        storage = new AwsSizedUrls();
        FolderEvents events = new FolderEvents() {
            @Override public void folderStatusChanged(Folder folder, Optional<FolderStatus> previous) { }
            @Override public void taskUpdated(BackgroundTask task, String kind) { }
        };
        AtomicInteger ids = new AtomicInteger();
        FolderCatalog catalog = new FolderCatalog(new CloneStepsTest.Folders(), new CloneStepsTest.Tasks(), storage,
                events, (owner, folderId, limit) -> List.of(), () -> "id-" + ids.incrementAndGet(), CLOCK);
        service = new FolderFiles(catalog, storage, new CloneSettings(1000, 500, 16 * MIB));
        catalog.create(ALICE, FolderSpec.parse(RequestFields.of(Map.of("name", "data"))));
    }

    @Test
    void aFiveTebibyteObjectTakesAtMostTenThousandPartsOfAllowedSize() {
        long part = FolderStorage.partSize(5 * TIB, 16 * MIB);
        assertThat(part).isEqualTo(525 * MIB);
        assertThat(FolderStorage.partCount(5 * TIB, part)).isLessThanOrEqualTo(FolderStorage.MAX_PARTS).isEqualTo(9987);
        // Every size up to 5 TiB: the minimum part while it fits, never more than 10,000 parts, parts within S3's range.
        for (long size = 0; size <= 5 * TIB; size += 5 * TIB / 997 + 12_345) {
            long p = FolderStorage.partSize(size, 16 * MIB);
            assertThat(p).isBetween(FolderStorage.MIN_PART, FolderStorage.MAX_PART);
            assertThat(FolderStorage.partCount(size, p)).isLessThanOrEqualTo(FolderStorage.MAX_PARTS);
            assertThat((long) FolderStorage.partCount(size, p) * p).isGreaterThanOrEqualTo(size);
        }
        assertThat(FolderStorage.partSize(10_000 * 16 * MIB, 16 * MIB)).isEqualTo(16 * MIB);
        assertThat(FolderStorage.partSize(10_000 * 16 * MIB + 1, 16 * MIB)).isEqualTo(17 * MIB);
    }

    @Test
    void theStartOfTheLargestUploadAndEachPageOfItsPartUrlsStayUnderLambdasResponseLimit() {
        long size = FolderFiles.MAX_OBJECT_SIZE;
        Map<String, Object> first = FolderViews.upload(service.upload(ALICE, "data", RequestFields.of(Map.of("path", "big/model.bin", "size", size))));
        assertThat(first.get("method")).isEqualTo("multipart");
        int partCount = (Integer) first.get("part_count");
        assertThat(partCount).isEqualTo(9987);
        assertThat(first.get("part_size")).isEqualTo(525 * MIB);
        Set<Integer> numbers = new HashSet<>();
        Map<String, Object> page = first;
        int pages = 0;
        while (true) {
            pages++;
            int bytes = answerBytes(page);
            System.out.println("[measure] start-upload answer page " + pages + " of a 5 TiB file, 2 KB URLs: " + bytes + " bytes");
            assertThat(bytes).as("page %d", pages).isLessThan(LAMBDA_RESPONSE);
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> parts = (List<Map<String, Object>>) page.get("parts");
            assertThat(parts).hasSizeLessThanOrEqualTo(FolderFiles.PART_URLS_PER_PAGE);
            assertThat(((String) parts.get(0).get("url")).length()).isGreaterThanOrEqualTo(2000);
            parts.forEach(p -> assertThat(numbers.add((Integer) p.get("number"))).isTrue());
            if (page.get("next_part") == null) {
                break;
            }
            page = FolderViews.upload(service.upload(ALICE, "data", RequestFields.of(Map.of("path", "big/model.bin", "size", size,
                    "upload_id", first.get("upload_id"), "first_part", page.get("next_part")))));
            assertThat(page.get("upload_id")).isEqualTo(first.get("upload_id"));
        }
        assertThat(pages).isEqualTo(10);
        assertThat(numbers).hasSize(partCount).contains(1, partCount);
        assertThat(storage.uploadsStarted).as("pages presign parts of the one upload").isEqualTo(1);
        // Unpaged, the same answer would not fit: the reason for the pages.
        assertThat(partCount * 2048L).isGreaterThan(LAMBDA_RESPONSE);
    }

    @Test
    void theLargestCompletionIsTaken() {
        List<Map<String, Object>> parts = new ArrayList<>();
        for (int n = 1; n <= FolderStorage.MAX_PARTS; n++) {
            parts.add(Map.of("number", n, "etag", "\"" + "e".repeat(32) + "\""));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("path", "big/model.bin");
        body.put("upload_id", "u".repeat(FolderFiles.MAX_UPLOAD_ID));
        body.put("parts", parts);
        assertThat(service.completeUpload(ALICE, "data", RequestFields.of(body))).as("the completed file").isEqualTo("big/model.bin");
        assertThat(storage.completed).hasSize(FolderStorage.MAX_PARTS);
    }

    @Test
    void aPageOfPartUrlsIsAskedWithItsUploadAndAPartOfIt() {
        Map<String, Object> small = Map.of("path", "a.bin", "size", 100, "upload_id", "u-1", "first_part", 1);
        assertField(small, "size");
        assertField(Map.of("path", "a.bin", "size", 64 * MIB, "upload_id", "u-1"), "first_part");
        assertField(Map.of("path", "a.bin", "size", 64 * MIB, "first_part", 2), "upload_id");
        assertField(Map.of("path", "a.bin", "size", 64 * MIB, "upload_id", "u-1", "first_part", 5), "first_part");
        assertField(Map.of("path", "a.bin", "size", 64 * MIB, "upload_id", "u-1", "first_part", 0), "first_part");
        assertField(Map.of("path", "a.bin", "size", 64 * MIB, "upload_id", "u 1", "first_part", 1), "upload_id");
        Map<String, Object> page = FolderViews.upload(service.upload(ALICE, "data", RequestFields.of(Map.of("path", "a.bin", "size", 64 * MIB, "upload_id", "u-1", "first_part", 3))));
        assertThat(page.get("parts")).asList().hasSize(2);
        assertThat(page.get("next_part")).isNull();
        assertThat(storage.uploadsStarted).isZero();
    }

    private void assertField(Map<String, Object> body, String field) {
        assertThatThrownBy(() -> service.upload(ALICE, "data", RequestFields.of(body)))
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.field()).hasValue(field));
    }

    /** The bytes of the API Gateway proxy response that carries the answer (the body escaped inside it). */
    private static int answerBytes(Map<String, Object> answer) {
        String body = Json.write(answer);
        return Json.write(Map.of("statusCode", 200, "headers", Map.of("Content-Type", "application/json"), "body", body))
                .getBytes(StandardCharsets.UTF_8).length;
    }
}
