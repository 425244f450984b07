package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sfn.model.ExecutionListItem;

/**
 * Folders, presigned data transfer, clone as a Step Functions background task, cancel, and the task's
 * server-sent-events stream, all through the emulator (API Gateway, DynamoDB, S3, Step Functions, EventBridge, SQS).
 */
class FoldersIT {
    private static LocalStack local;
    private static ApiClient api;
    private static String alice;
    private static String bob;
    private static S3Client s3;
    private static String bucket;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ExecutorService POOL = Executors.newFixedThreadPool(16);

    @BeforeAll
    static void stack() throws Exception {
        local = LocalStack.get();
        api = new ApiClient(local.apiUrl);
        alice = local.token("folder-alice");
        bob = local.token("folder-bob");
        s3 = S3Client.builder().forcePathStyle(true).build();
        bucket = local.functionEnvironment().get("FOLDER_BUCKET");
    }

    @AfterAll
    static void close() {
        POOL.shutdownNow();
    }

    private static String unique(String base) {
        return base + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static JsonNode create(String token, String name, boolean cloneable) {
        ApiClient.Reply r = api.post("/folders", token, "{\"name\":\"" + name + "\",\"usage_mode\":\"model\",\"cloneable\":" + cloneable + "}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return r.json();
    }

    private static String prefix(JsonNode folder) {
        return "folders/" + folder.get("id").asText() + "/";
    }

    /** Puts objects of mixed sizes under the folder's prefix; their SHA-256 by relative path. */
    private static Map<String, String> seed(JsonNode folder, int count, long bigSize) throws Exception {
        Random random = new Random(count);
        List<Future<Map.Entry<String, String>>> puts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int size = i % 50 == 0 ? 100_000 + random.nextInt(50_000) : random.nextInt(4096);
            byte[] data = new byte[size];
            random.nextBytes(data);
            String path = "dir" + (i % 7) + "/file-" + String.format("%05d", i) + ".bin";
            puts.add(POOL.submit(() -> {
                s3.putObject(b -> b.bucket(bucket).key(prefix(folder) + path), RequestBody.fromBytes(data));
                return Map.entry(path, sha256(data));
            }));
        }
        Map<String, String> sums = new TreeMap<>();
        for (Future<Map.Entry<String, String>> f : puts) {
            Map.Entry<String, String> e = f.get();
            sums.put(e.getKey(), e.getValue());
        }
        if (bigSize > 0) {
            byte[] big = new byte[(int) bigSize];
            random.nextBytes(big);
            s3.putObject(b -> b.bucket(bucket).key(prefix(folder) + "model/weights.bin"), RequestBody.fromBytes(big));
            sums.put("model/weights.bin", sha256(big));
        }
        return sums;
    }

    /** SHA-256 of every object under the prefix, by path relative to it. */
    private static Map<String, String> checksums(String prefix) throws Exception {
        List<S3Object> objects = new ArrayList<>();
        s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().forEach(objects::add);
        List<Future<Map.Entry<String, String>>> gets = new ArrayList<>();
        for (S3Object o : objects) {
            gets.add(POOL.submit(() -> Map.entry(o.key().substring(prefix.length()),
                    sha256(s3.getObjectAsBytes(b -> b.bucket(bucket).key(o.key())).asByteArray()))));
        }
        Map<String, String> sums = new TreeMap<>();
        for (Future<Map.Entry<String, String>> f : gets) {
            sums.put(f.get().getKey(), f.get().getValue());
        }
        return sums;
    }

    private static int count(String prefix) {
        return s3.listObjectsV2(b -> b.bucket(bucket).prefix(prefix)).keyCount();
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    private static JsonNode task(String token, String id) {
        ApiClient.Reply r = api.get("/tasks/" + id, token);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    private static JsonNode awaitTask(String token, String id, Predicate<JsonNode> until, Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        JsonNode t = task(token, id);
        while (!until.test(t)) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("task did not get there in " + timeout + ": " + t);
            }
            Thread.sleep(50);
            t = task(token, id);
        }
        return t;
    }

    private static String status(String token, String folder) {
        ApiClient.Reply r = api.get("/folders/" + folder, token);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().get("status").asText();
    }

    @Test
    void foldersAreCreatedListedRenamedAndDeletedWithClearErrors() {
        String name = unique("data");
        JsonNode folder = create(alice, name, false);
        assertThat(folder.get("status").asText()).isEqualTo("ready");
        assertThat(folder.get("usage_mode").asText()).isEqualTo("model");
        assertThat(folder.get("permission").asText()).isEqualTo("rw");
        assertThat(folder.get("host").asText()).isEqualTo("s3");
        assertThat(folder.get("status_history")).hasSize(1);

        ApiClient.Reply taken = api.post("/folders", alice, "{\"name\":\"" + name + "\"}");
        assertThat(taken.status()).isEqualTo(409);
        assertThat(taken.errorField()).isEqualTo("name");
        assertThat(api.post("/folders", alice, "{\"name\":\"x\",\"usage_mode\":\"weights\"}").errorField()).isEqualTo("usage_mode");
        assertThat(api.post("/folders", alice, "{\"name\":\"x\",\"permission\":\"rwx\"}").errorField()).isEqualTo("permission");
        assertThat(api.post("/folders", alice, "{\"name\":\"../etc\"}").errorField()).isEqualTo("name");
        assertThat(api.post("/folders", alice, "{\"name\":\"x\",\"colour\":\"red\"}").errorField()).isEqualTo("colour");
        assertThat(api.post("/folders", alice, "{\"name\":\"x\",\"host\":\"nfs-1\"}").errorField()).isEqualTo("host");

        assertThat(api.get("/folders/" + name, bob).status()).as("others' folders do not exist for bob").isEqualTo(404);
        assertThat(api.get("/folders", alice).json().get("items").findValuesAsText("name")).contains(name);
        assertThat(api.get("/folders", bob).json().get("items").findValuesAsText("name")).doesNotContain(name);

        String renamed = unique("renamed");
        ApiClient.Reply r = api.call("PATCH", "/folders/" + name, alice, "{\"name\":\"" + renamed + "\"}", Map.of());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("id").asText()).isEqualTo(folder.get("id").asText());
        assertThat(api.get("/folders/" + name, alice).status()).isEqualTo(404);
        String other = unique("other");
        create(alice, other, false);
        ApiClient.Reply clash = api.call("PATCH", "/folders/" + renamed, alice, "{\"name\":\"" + other + "\"}", Map.of());
        assertThat(clash.status()).isEqualTo(409);
        assertThat(clash.errorField()).isEqualTo("name");

        s3.putObject(b -> b.bucket(bucket).key(prefix(folder) + "a.txt"), RequestBody.fromString("a"));
        ApiClient.Reply deleted = api.call("DELETE", "/folders/" + renamed, alice, null, Map.of());
        assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
        assertThat(deleted.json().get("status").asText()).isEqualTo("delete-complete");
        assertThat(deleted.json().get("status_history").findValuesAsText("status"))
                .containsSubsequence("ready", "delete-pending", "delete-ongoing", "delete-complete");
        assertThat(count(prefix(folder))).isZero();
        assertThat(api.get("/folders/" + renamed, alice).status()).isEqualTo(404);
        assertThat(api.post("/folders", alice, "{\"name\":\"" + renamed + "\"}").status()).as("a deleted folder's name is free").isEqualTo(201);
    }

    @Test
    void presignedUrlsUploadAndDownloadDirectlyWithS3() throws Exception {
        String name = unique("transfer");
        create(alice, name, false);
        ApiClient.Reply up = api.post("/folders/" + name + "/uploads", alice, "{\"path\":\"notes/readme.txt\",\"size\":11}");
        assertThat(up.status()).as(up.body()).isEqualTo(200);
        assertThat(up.json().get("method").asText()).isEqualTo("PUT");
        HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(URI.create(up.json().get("url").asText()))
                .PUT(HttpRequest.BodyPublishers.ofString("hello world")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);

        ApiClient.Reply down = api.get("/folders/" + name + "/download?path=notes/readme.txt", alice);
        assertThat(down.status()).as(down.body()).isEqualTo(200);
        HttpResponse<String> get = HTTP.send(HttpRequest.newBuilder(URI.create(down.json().get("url").asText())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(get.body()).isEqualTo("hello world");

        // Multipart: above the threshold, one presigned URL per part, completed with the parts' ETags.
        byte[] big = new byte[(int) (LocalStack.CLONE_MULTIPART_THRESHOLD + 3 * 1024 * 1024)];
        new Random(7).nextBytes(big);
        ApiClient.Reply multi = api.post("/folders/" + name + "/uploads", alice, "{\"path\":\"big.bin\",\"size\":" + big.length + "}");
        assertThat(multi.status()).as(multi.body()).isEqualTo(200);
        assertThat(multi.json().get("method").asText()).isEqualTo("multipart");
        long partSize = multi.json().get("part_size").asLong();
        StringBuilder parts = new StringBuilder();
        for (JsonNode part : multi.json().get("parts")) {
            int n = part.get("number").asInt();
            int from = (int) ((n - 1) * partSize);
            int to = (int) Math.min(big.length, from + partSize);
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(part.get("url").asText()))
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(big, from, to - from)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            parts.append(parts.length() == 0 ? "" : ",").append("{\"number\":").append(n).append(",\"etag\":")
                    .append(dev.sluice.adapters.json.Json.write(r.headers().firstValue("ETag").orElseThrow())).append("}");
        }
        ApiClient.Reply done = api.post("/folders/" + name + "/uploads/complete", alice,
                "{\"path\":\"big.bin\",\"upload_id\":\"" + multi.json().get("upload_id").asText() + "\",\"parts\":[" + parts + "]}");
        assertThat(done.status()).as(done.body()).isEqualTo(200);
        JsonNode files = api.get("/folders/" + name + "/files", alice).json();
        assertThat(files.get("items").findValuesAsText("path")).containsExactly("big.bin", "notes/readme.txt");
        HttpResponse<byte[]> bigGet = HTTP.send(HttpRequest.newBuilder(URI.create(
                        api.get("/folders/" + name + "/download?path=big.bin", alice).json().get("url").asText())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(sha256(bigGet.body())).isEqualTo(sha256(big));

        assertThat(api.post("/folders/" + name + "/uploads", alice, "{\"path\":\"../escape\"}").errorField()).isEqualTo("path");
        assertThat(api.post("/folders/" + name + "/uploads", alice, "{\"path\":\"/abs\"}").errorField()).isEqualTo("path");
        assertThat(api.post("/folders/" + name + "/uploads", alice, "{\"path\":\"a\",\"size\":-1}").errorField()).isEqualTo("size");
        assertThat(api.post("/folders/" + name + "/uploads", bob, "{\"path\":\"a\"}").status()).isEqualTo(404);
    }

    /**
     * Issue #14 items 4-6: keys as long as S3 holds page with cursors that round-trip (their continuation tokens are
     * longer than 1,024 characters), a cursor works only on the folder that gave it, and keys S3 or a host cannot
     * hold are refused at upload with the rule.
     */
    /**
     * Two uploads racing for a file {@code rN} and a file {@code rN/b} of one folder (before either is in S3): exactly one
     * gets its URL, the other a 422 naming path, and it stays refused while the winner's claim holds.
     */
    @Test
    void ofTwoRacingUploadsOfAFileAndAFileUnderItExactlyOneWins() throws Exception {
        String name = unique("race");
        create(alice, name, false);
        String upload = "/folders/" + name + "/uploads";
        String firstWinner = null;
        for (int round = 0; round < 6; round++) {
            String file = "r" + round;
            List<String> paths = round % 2 == 0 ? List.of(file, file + "/b") : List.of(file + "/b", file);
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
            List<java.util.concurrent.Future<ApiClient.Reply>> replies = new ArrayList<>();
            for (String path : paths) {
                replies.add(POOL.submit(() -> {
                    start.await();
                    return api.post(upload, alice, "{\"path\":\"" + path + "\",\"size\":1}");
                }));
            }
            List<ApiClient.Reply> answered = new ArrayList<>();
            for (var r : replies) {
                answered.add(r.get(30, java.util.concurrent.TimeUnit.SECONDS));
            }
            assertThat(answered.stream().map(ApiClient.Reply::status).sorted().toList()).as("round " + round + ": " + answered)
                    .containsExactly(200, 422);
            ApiClient.Reply loser = answered.get(0).status() == 422 ? answered.get(0) : answered.get(1);
            String lost = answered.get(0).status() == 422 ? paths.get(0) : paths.get(1);
            assertThat(loser.errorField()).isEqualTo("path");
            assertThat(loser.json().path("error").path("message").asText()).startsWith("path collides with another upload into this folder");
            ApiClient.Reply again = api.post(upload, alice, "{\"path\":\"" + lost + "\",\"size\":1}");
            assertThat(again.status()).as("the loser again, while the winner's claim holds: " + again.body()).isEqualTo(422);
            if (firstWinner == null) {
                firstWinner = lost.equals(paths.get(0)) ? paths.get(1) : paths.get(0);
            }
        }
        assertThat(api.post(upload, alice, "{\"path\":\"" + firstWinner + "\",\"size\":1}").status())
                .as("the winner of round 0 (" + firstWinner + ") may upload again").isEqualTo(200);
    }

    @Test
    void longKeysPageAndKeysNoHostCanHoldAreRefused() throws Exception {
        String name = unique("long-keys");
        JsonNode folder = create(alice, name, false);
        String other = unique("other-keys");
        create(alice, other, false);
        int room = 1024 - prefix(folder).length();
        String base = ("d".repeat(200) + "/").repeat((room - 1) / 201);
        List<String> paths = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String path = base + String.valueOf((char) ('a' + i)).repeat(room - base.length());
            assertThat(path.length()).isEqualTo(room);
            paths.add(path);
            s3.putObject(b -> b.bucket(bucket).key(prefix(folder) + path), RequestBody.fromString("x"));
        }
        List<String> listed = new ArrayList<>();
        String cursor = null;
        String firstCursor = null;
        do {
            ApiClient.Reply page = api.get("/folders/" + name + "/files?limit=1" + (cursor == null ? "" : "&cursor=" + cursor), alice);
            assertThat(page.status()).as(page.body()).isEqualTo(200);
            page.json().get("items").forEach(i -> listed.add(i.get("path").asText()));
            cursor = page.json().get("next_cursor").isNull() ? null : page.json().get("next_cursor").asText();
            if (firstCursor == null && cursor != null) {
                firstCursor = cursor;
                assertThat(cursor.length()).as("a cursor longer than the old 1,024-character limit").isGreaterThan(1024);
            }
        } while (cursor != null && listed.size() < 10);
        assertThat(listed).containsExactlyElementsOf(paths);

        ApiClient.Reply borrowed = api.get("/folders/" + other + "/files?cursor=" + firstCursor, alice);
        assertThat(borrowed.status()).as(borrowed.body()).isEqualTo(422);
        assertThat(borrowed.errorField()).isEqualTo("cursor");
        String altered = (firstCursor.charAt(0) == 'A' ? "B" : "A") + firstCursor.substring(1);
        assertThat(api.get("/folders/" + name + "/files?cursor=" + altered, alice).status()).isEqualTo(422);

        // The whole key (with folders/<id>/) at most 1,024 bytes in UTF-8: 'é' is two bytes.
        String upload = "/folders/" + name + "/uploads";
        assertThat(api.post(upload, alice, "{\"path\":\"" + base + "h".repeat(room - base.length()) + "\",\"size\":1}").status())
                .isEqualTo(200);
        ApiClient.Reply tooLong = api.post(upload, alice, "{\"path\":\"" + ("\u00e9".repeat(100) + "/").repeat(room / 201) + "g".repeat(room % 201 + 1)
                + "\",\"size\":1}");
        assertThat(tooLong.status()).as(tooLong.body()).isEqualTo(422);
        assertThat(tooLong.errorField()).isEqualTo("path");
        assertThat(tooLong.json().path("error").path("message").asText()).contains("1024 bytes");
        ApiClient.Reply longName = api.post(upload, alice, "{\"path\":\"" + "\u00e9".repeat(128) + "\",\"size\":1}");
        assertThat(longName.status()).as(longName.body()).isEqualTo(422);
        assertThat(longName.json().path("error").path("message").asText()).isEqualTo(
                "path must not have a segment (a file or directory name) over 255 bytes in UTF-8; one has 256.");

        // A file and a directory of the same path: no host can hold both.
        s3.putObject(b -> b.bucket(bucket).key(prefix(folder) + "a"), RequestBody.fromString("x"));
        s3.putObject(b -> b.bucket(bucket).key(prefix(folder) + "c/d"), RequestBody.fromString("x"));
        ApiClient.Reply under = api.post(upload, alice, "{\"path\":\"a/b\",\"size\":1}");
        assertThat(under.status()).as(under.body()).isEqualTo(422);
        assertThat(under.json().path("error").path("message").asText())
                .isEqualTo("path is under 'a', which is a file of the folder; a file cannot also be a directory.");
        ApiClient.Reply over = api.post(upload, alice, "{\"path\":\"c\",\"size\":1}");
        assertThat(over.status()).as(over.body()).isEqualTo(422);
        assertThat(over.json().path("error").path("message").asText()).startsWith("path names a directory of the folder's files");
        assertThat(api.post(upload, alice, "{\"path\":\"a-b\",\"size\":1}").status()).isEqualTo(200);
        assertThat(api.post(upload, alice, "{\"path\":\"c/e\",\"size\":1}").status()).isEqualTo(200);
        assertThat(api.post(upload, alice, "{\"path\":\"a\",\"size\":1}").status()).as("a file may be replaced").isEqualTo(200);
    }

    /**
     * A file of 2,501 parts: its part URLs come 1,000 at a time (each URL is long on AWS), every page's URLs are parts
     * of the one upload (a part from the first and one from the last page are written and completed), and the largest
     * completion body, 10,000 ETags, passes the route (S3 refuses its made-up parts, not the 64 KiB cap).
     */
    @Test
    void aHugeUploadGetsItsPartUrlsPageByPageAndTheLargestCompletionIsTaken() throws Exception {
        String name = unique("huge-upload");
        create(alice, name, false);
        long partSize = LocalStack.CLONE_MULTIPART_THRESHOLD;
        long size = 2500 * partSize + 1024;
        ApiClient.Reply first = api.post("/folders/" + name + "/uploads", alice, "{\"path\":\"huge.bin\",\"size\":" + size + "}");
        assertThat(first.status()).as(first.body()).isEqualTo(200);
        assertThat(first.json().get("part_size").asLong()).isEqualTo(partSize);
        assertThat(first.json().get("part_count").asInt()).isEqualTo(2501);
        String uploadId = first.json().get("upload_id").asText();
        List<JsonNode> pages = new ArrayList<>(List.of(first.json()));
        while (!pages.get(pages.size() - 1).get("next_part").isNull()) {
            ApiClient.Reply next = api.post("/folders/" + name + "/uploads", alice, "{\"path\":\"huge.bin\",\"size\":" + size
                    + ",\"upload_id\":\"" + uploadId + "\",\"first_part\":" + pages.get(pages.size() - 1).get("next_part").asInt() + "}");
            assertThat(next.status()).as(next.body()).isEqualTo(200);
            assertThat(next.json().get("upload_id").asText()).isEqualTo(uploadId);
            pages.add(next.json());
        }
        assertThat(pages).extracting(p -> p.get("parts").size()).containsExactly(1000, 1000, 501);
        assertThat(pages).extracting(p -> p.get("parts").get(0).get("number").asInt()).containsExactly(1, 1001, 2001);
        assertThat(pages.get(0).get("next_part").asInt()).isEqualTo(1001);
        System.out.println("[measure] part-URL page bytes (emulator URLs, no session token): "
                + pages.stream().map(p -> dev.sluice.adapters.json.Json.write(p).length()).toList());

        byte[] head = new byte[(int) partSize];
        new Random(11).nextBytes(head);
        byte[] tail = "the last part, from the last page".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String etag1 = putPart(pages.get(0).get("parts").get(0).get("url").asText(), head);
        String etagLast = putPart(pages.get(2).get("parts").get(500).get("url").asText(), tail);
        ApiClient.Reply done = api.post("/folders/" + name + "/uploads/complete", alice, "{\"path\":\"huge.bin\",\"upload_id\":\"" + uploadId
                + "\",\"parts\":[{\"number\":1,\"etag\":" + dev.sluice.adapters.json.Json.write(etag1) + "},{\"number\":2501,\"etag\":"
                + dev.sluice.adapters.json.Json.write(etagLast) + "}]}");
        assertThat(done.status()).as(done.body()).isEqualTo(200);
        byte[] stored = s3.getObjectAsBytes(b -> b.bucket(bucket).key(prefix(api.get("/folders/" + name, alice).json()) + "huge.bin")).asByteArray();
        assertThat(stored.length).isEqualTo(head.length + tail.length);
        assertThat(java.util.Arrays.copyOfRange(stored, head.length, stored.length)).isEqualTo(tail);

        // The largest completion: 10,000 parts (about 630 KB, ten times the usual cap) reach S3, which refuses made-up parts.
        ApiClient.Reply again = api.post("/folders/" + name + "/uploads", alice, "{\"path\":\"other.bin\",\"size\":" + size + "}");
        StringBuilder parts = new StringBuilder();
        for (int n = 1; n <= 10_000; n++) {
            parts.append(n == 1 ? "" : ",").append("{\"number\":").append(n).append(",\"etag\":\"\\\"")
                    .append(String.format("%032x", n)).append("\\\"\"}");
        }
        String largest = "{\"path\":\"other.bin\",\"upload_id\":\"" + again.json().get("upload_id").asText() + "\",\"parts\":[" + parts + "]}";
        assertThat(largest.length()).isGreaterThan(600_000);
        ApiClient.Reply refused = api.post("/folders/" + name + "/uploads/complete", alice, largest);
        assertThat(refused.status()).as(refused.body()).isEqualTo(422);
        assertThat(refused.errorField()).isEqualTo("upload_id");
        // Other routes keep the 64 KiB cap.
        ApiClient.Reply tooBig = api.post("/folders/" + name + "/uploads", alice, "{\"path\":\"" + "x".repeat(70_000) + "\"}");
        assertThat(tooBig.status()).as(tooBig.body()).isEqualTo(413);
        assertThat(api.post("/folders/" + name + "/uploads", alice, "{\"path\":\"huge.bin\",\"size\":" + size + ",\"upload_id\":\""
                + uploadId + "\",\"first_part\":2502}").errorField()).isEqualTo("first_part");
    }

    private static String putPart(String url, byte[] data) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).PUT(HttpRequest.BodyPublishers.ofByteArray(data)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.headers().firstValue("ETag").orElseThrow();
    }

    /**
     * A multipart copy that reaches its deadline keeps the parts it copied, and the next copy of the object resumes from
     * them (S3's ListMultipartUploads and ListParts), completes it byte for byte, and a copy after that finds it done.
     */
    @Test
    void aMultipartCopyStoppedAtItsDeadlineResumesFromItsPartsOnS3() throws Exception {
        long part = 5L * 1024 * 1024;
        dev.sluice.adapters.folders.S3FolderStorage storage;
        software.amazon.awssdk.services.s3.presigner.S3Presigner presigner = software.amazon.awssdk.services.s3.presigner.S3Presigner.builder()
                .endpointOverride(URI.create(local.endpoint))
                .serviceConfiguration(software.amazon.awssdk.services.s3.S3Configuration.builder().pathStyleAccessEnabled(true).build()).build();
        storage = new dev.sluice.adapters.folders.S3FolderStorage(s3, presigner, bucket, part, part, java.time.Clock.systemUTC());
        String base = "folders/" + UUID.randomUUID() + "/";
        byte[] data = new byte[(int) (3 * part + 4321)];
        new Random(5).nextBytes(data);
        s3.putObject(b -> b.bucket(bucket).key(base + "src.bin"), RequestBody.fromBytes(data));

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> storage.copy(base + "src.bin", base + "dst.bin", data.length, Instant.now()))
                .isInstanceOf(dev.sluice.core.port.FolderStorage.CopyUnfinished.class).hasMessageContaining("0 of 4 parts");
        var uploads = s3.listMultipartUploads(b -> b.bucket(bucket).prefix(base + "dst.bin")).uploads();
        assertThat(uploads).hasSize(1);
        String uploadId = uploads.get(0).uploadId();
        // What a step that stopped after one part leaves: that part on the upload.
        s3.uploadPartCopy(b -> b.sourceBucket(bucket).sourceKey(base + "src.bin").destinationBucket(bucket).destinationKey(base + "dst.bin")
                .uploadId(uploadId).partNumber(2).copySourceRange("bytes=" + part + "-" + (2 * part - 1)));

        assertThat(storage.copy(base + "src.bin", base + "dst.bin", data.length, Instant.now().plusSeconds(60))).isEqualTo(data.length);
        assertThat(s3.listMultipartUploads(b -> b.bucket(bucket).prefix(base)).uploads()).isEmpty();
        assertThat(sha256(s3.getObjectAsBytes(b -> b.bucket(bucket).key(base + "dst.bin")).asByteArray())).isEqualTo(sha256(data));
        assertThat(storage.copy(base + "src.bin", base + "dst.bin", data.length, Instant.now())).as("already copied").isEqualTo(data.length);
        assertThat(s3.listMultipartUploads(b -> b.bucket(bucket).prefix(base)).uploads()).isEmpty();
    }

    @Test
    void aLargeFolderClonesByteForByteAcrossSeveralExecutionsWhileAnSseClientFollows() throws Exception {
        String source = unique("big-src");
        JsonNode src = create(alice, source, true);
        Map<String, String> expected = seed(src, 2050, LocalStack.CLONE_MULTIPART_THRESHOLD + 4 * 1024 * 1024 + 123);
        String target = unique("big-dst");

        ApiClient.Reply started = api.post("/folders/" + source + "/clone", alice, "{\"target_name\":\"" + target + "\"}");
        assertThat(started.status()).as(started.body()).isEqualTo(202);
        String taskId = started.json().get("task_id").asText();
        assertThat(started.json().get("target").get("status").asText()).isEqualTo("cloning");
        assertThat(started.json().get("target").get("usage_mode").asText()).as("inherits the source's usage mode").isEqualTo("model");
        assertThat(status(alice, source)).isIn("performing", "ready");

        try (SseClient sse = SseClient.open(local.runtime.taskEventsUrl(taskId), alice)) {
            assertThat(sse.waitForEnd(240)).as("events: " + sse.events).isZero();
            List<JsonNode> events = sse.events;
            JsonNode last = events.get(events.size() - 1);
            assertThat(last.get("type").asText()).as(last.toString()).isEqualTo("done");
            assertThat(last.get("data").get("progress").get("objects_done").asLong()).isEqualTo(expected.size());
            long pages = (expected.size() + LocalStack.CLONE_PAGE_SIZE - 1) / LocalStack.CLONE_PAGE_SIZE;
            // Every page is an update of the task (its sequence, the events' id): the final state counts them all, and
            // the stream carried every one of them from the moment the client joined (however late a loaded machine
            // starts it), one event each, in order, ending with the final one.
            List<Long> ids = events.stream().map(e -> Long.parseLong(e.get("id").asText())).toList();
            assertThat(ids.get(ids.size() - 1)).as("the task's final sequence counts an update per page, its start and its end: " + ids)
                    .isGreaterThanOrEqualTo(pages + 2);
            assertThat(last.get("data").get("sequence").asLong()).isEqualTo(ids.get(ids.size() - 1));
            for (int i = 1; i < ids.size(); i++) {
                assertThat(ids.get(i)).as("one event per update, in order: " + ids).isEqualTo(ids.get(i - 1) + 1);
            }
            assertThat(events.subList(0, events.size() - 1)).as("every update before the end is a progress event")
                    .allSatisfy(e -> assertThat(e.get("type").asText()).isEqualTo("progress"));
            long previous = -1;
            for (JsonNode e : events) {
                long done = e.get("data").get("progress").get("objects_done").asLong();
                assertThat(done).as("progress never goes back").isGreaterThanOrEqualTo(previous);
                previous = done;
            }
        }
        JsonNode t = task(alice, taskId);
        assertThat(t.get("status").asText()).isEqualTo("done");
        assertThat(t.get("progress").get("bytes_done").asLong()).isEqualTo(t.get("progress").get("bytes_total").asLong());
        assertThat(status(alice, target)).isEqualTo("ready");
        assertThat(status(alice, source)).isEqualTo("ready");
        JsonNode dst = api.get("/folders/" + target, alice).json();
        assertThat(checksums(prefix(dst))).isEqualTo(expected);

        // The copy continued as new executions (deterministic names), each of them a short history.
        try (SfnClient sfn = SfnClient.builder().build()) {
            String machine = local.stack.outputs().get("FolderCloneStateMachineArn");
            List<ExecutionListItem> runs = sfn.listExecutionsPaginator(b -> b.stateMachineArn(machine)).executions().stream()
                    .filter(e -> e.name().startsWith("clone-" + taskId + "-")).toList();
            long pages = (expected.size() + LocalStack.CLONE_PAGE_SIZE - 1) / LocalStack.CLONE_PAGE_SIZE;
            assertThat(runs).hasSize((int) ((pages + LocalStack.CLONE_PAGES_PER_EXECUTION - 1) / LocalStack.CLONE_PAGES_PER_EXECUTION));
            assertThat(runs).allSatisfy(e -> assertThat(e.statusAsString()).isEqualTo("SUCCEEDED"));
            for (ExecutionListItem run : runs) {
                int history = sfn.getExecutionHistory(b -> b.executionArn(run.executionArn()).maxResults(1000)).events().size();
                assertThat(history).as("history of " + run.name()).isLessThan(80);
            }
        }
    }

    @Test
    void aSourceObjectVanishingMidCopyFailsTheCloneAndLeavesNothingBehind() throws Exception {
        String source = unique("vanish-src");
        JsonNode src = create(alice, source, true);
        Map<String, String> seeded = seed(src, 1500, 0);
        String target = unique("vanish-dst");
        ApiClient.Reply started = api.post("/folders/" + source + "/clone", alice, "{\"target_name\":\"" + target + "\"}");
        assertThat(started.status()).as(started.body()).isEqualTo(202);
        String taskId = started.json().get("task_id").asText();
        String targetPrefix = "folders/" + started.json().get("target").get("id").asText() + "/";

        awaitTask(alice, taskId, t -> t.get("progress").get("objects_done").asLong() > 0 || !t.get("status").asText().equals("started"),
                Duration.ofSeconds(60));
        String lastKey = ((TreeMap<String, String>) seeded).lastKey();
        s3.deleteObject(b -> b.bucket(bucket).key(prefix(src) + lastKey));

        JsonNode t = awaitTask(alice, taskId, x -> !x.get("status").asText().equals("started"), Duration.ofSeconds(120));
        assertThat(t.get("status").asText()).isEqualTo("failed");
        assertThat(t.get("error").asText()).contains("source changed");
        assertThat(status(alice, target)).isEqualTo("error");
        assertThat(status(alice, source)).isEqualTo("ready");
        assertThat(count(targetPrefix)).as("no partial data").isZero();
    }

    @Test
    void cancellingACloneStopsItAndUndoesIt() throws Exception {
        String source = unique("cancel-src");
        JsonNode src = create(alice, source, true);
        seed(src, 1500, 0);
        String target = unique("cancel-dst");
        ApiClient.Reply started = api.post("/folders/" + source + "/clone", alice, "{\"target_name\":\"" + target + "\"}");
        assertThat(started.status()).as(started.body()).isEqualTo(202);
        String taskId = started.json().get("task_id").asText();
        String targetPrefix = "folders/" + started.json().get("target").get("id").asText() + "/";
        awaitTask(alice, taskId, x -> x.get("progress").get("objects_done").asLong() > 0, Duration.ofSeconds(60));

        assertThat(api.call("DELETE", "/tasks/" + taskId, bob, null, Map.of()).status()).as("not bob's task").isEqualTo(404);
        ApiClient.Reply cancelled = api.call("DELETE", "/tasks/" + taskId, alice, null, Map.of());
        assertThat(cancelled.status()).as(cancelled.body()).isEqualTo(200);
        assertThat(cancelled.json().get("status").asText()).isEqualTo("cancelled");
        assertThat(status(alice, target)).isEqualTo("error");
        assertThat(status(alice, source)).isEqualTo("ready");
        // A page in flight at the cancel removes what it wrote when it finds the task cancelled.
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (count(targetPrefix) > 0 && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
        }
        assertThat(count(targetPrefix)).as("no partial data").isZero();
        assertThat(task(alice, taskId).get("status").asText()).isEqualTo("cancelled");
        ApiClient.Reply again = api.call("DELETE", "/tasks/" + taskId, alice, null, Map.of());
        assertThat(again.status()).isEqualTo(409);

        try (SseClient sse = SseClient.open(local.runtime.taskEventsUrl(taskId), alice)) {
            assertThat(sse.waitForEnd(30)).isZero();
            assertThat(sse.events).hasSize(1);
            assertThat(sse.events.get(0).get("type").asText()).as("a finished task replays its final state at once").isEqualTo("cancelled");
        }
    }

    @Test
    void cloneRequestsThatCannotBeDoneGetClearErrors() throws Exception {
        String plain = unique("plain");
        create(alice, plain, false);
        ApiClient.Reply notCloneable = api.post("/folders/" + plain + "/clone", alice, "{\"target_name\":\"" + unique("t") + "\"}");
        assertThat(notCloneable.status()).isEqualTo(422);
        assertThat(notCloneable.json().get("error").get("message").asText()).contains("not cloneable");

        String source = unique("src");
        create(alice, source, true);
        String taken = unique("taken");
        create(alice, taken, false);
        ApiClient.Reply nameTaken = api.post("/folders/" + source + "/clone", alice, "{\"target_name\":\"" + taken + "\"}");
        assertThat(nameTaken.status()).isEqualTo(409);
        assertThat(nameTaken.errorField()).isEqualTo("target_name");
        assertThat(status(alice, source)).as("a refused clone changes nothing").isEqualTo("ready");

        ApiClient.Reply unknown = api.post("/folders/" + unique("nope") + "/clone", alice, "{\"target_name\":\"" + unique("t") + "\"}");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(api.post("/folders/" + source + "/clone", bob, "{\"target_name\":\"x\"}").status()).as("not bob's").isEqualTo(404);
        assertThat(api.post("/folders/" + source + "/clone", alice, "{}").errorField()).isEqualTo("target_name");
        assertThat(api.post("/folders/" + source + "/clone", alice, "{\"target_name\":\"" + source + "\"}").errorField()).isEqualTo("target_name");
        assertThat(api.post("/folders/" + source + "/clone", alice, "{\"target_name\":\"y\",\"usage_mode\":\"x\"}").errorField())
                .isEqualTo("usage_mode");

        try (SseClient sse = SseClient.open(local.runtime.taskEventsUrl(UUID.randomUUID().toString()), alice)) {
            assertThat(sse.waitForEnd(30)).isEqualTo(3);
            assertThat(sse.events.get(0).get("status").asInt()).as("unknown task").isEqualTo(404);
        }
        assertThat(api.get("/tasks/" + UUID.randomUUID(), alice).status()).isEqualTo(404);
    }

    @Test
    void sessionsMountTheCallersUsableFoldersByName() {
        String group = unique("mounts");
        assertThat(api.put("/resource-groups/" + group, local.adminToken(), "{}").status()).isIn(200, 201);
        String data = unique("data");
        JsonNode folder = create(alice, data, false);
        String models = unique("models");
        api.post("/folders", alice, "{\"name\":\"" + models + "\",\"permission\":\"ro\"}");
        String session = "{\"image\":\"python:3.12\",\"resource_group\":\"" + group + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"},";
        ApiClient.Reply created = api.post("/sessions", alice, session + "\"mounts\":[\"" + data + "\",{\"name\":\"" + models
                + "\",\"path\":\"/models\"}]}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        JsonNode mounts = created.json().get("folder_mounts");
        assertThat(mounts).hasSize(2);
        assertThat(mounts.get(0).get("folder_id").asText()).isEqualTo(folder.get("id").asText());
        assertThat(mounts.get(0).get("prefix").asText()).isEqualTo(prefix(folder));
        assertThat(mounts.get(0).get("permission").asText()).isEqualTo("rw");
        assertThat(mounts.get(0).get("mount_path").asText()).isEqualTo("/home/work/" + data);
        assertThat(mounts.get(1).get("permission").asText()).isEqualTo("ro");
        assertThat(mounts.get(1).get("mount_path").asText()).isEqualTo("/models");
        JsonNode stored = api.get("/sessions/" + created.json().get("id").asText(), alice).json();
        assertThat(stored.get("folder_mounts")).isEqualTo(mounts);

        ApiClient.Reply unknown = api.post("/sessions", alice, session + "\"mounts\":[\"" + unique("nope") + "\"]}");
        assertThat(unknown.status()).isEqualTo(422);
        assertThat(unknown.errorField()).isEqualTo("mounts[0]");
        ApiClient.Reply notHers = api.post("/sessions", bob, session + "\"mounts\":[\"" + data + "\"]}");
        assertThat(notHers.status()).as("bob cannot mount alice's folder").isEqualTo(422);
        assertThat(notHers.errorField()).isEqualTo("mounts[0]");
        ApiClient.Reply twice = api.post("/sessions", alice, session + "\"mounts\":[\"" + data + "\",\"" + data + ":/x\"]}");
        assertThat(twice.errorField()).isEqualTo("mounts[1]");
        assertThat(api.post("/sessions", alice, session + "\"mounts\":[\"" + data + ":relative\"]}").errorField()).isEqualTo("mounts[0]");

        // While the session has not ended, its folders keep their names and data.
        String sessionId = created.json().get("id").asText();
        ApiClient.Reply inUse = api.call("DELETE", "/folders/" + models, alice, null, Map.of());
        assertThat(inUse.status()).as(inUse.body()).isEqualTo(409);
        assertThat(inUse.errorField()).isEqualTo("name");
        assertThat(inUse.body()).contains(sessionId);
        ApiClient.Reply moved = api.call("PATCH", "/folders/" + data, alice, "{\"name\":\"" + unique("moved") + "\"}", Map.of());
        assertThat(moved.status()).as(moved.body()).isEqualTo(409);
        assertThat(api.get("/folders/" + models, alice).json().get("status").asText()).isEqualTo("ready");
        assertThat(api.get("/folders/" + data, alice).status()).isEqualTo(200);
        assertThat(api.call("DELETE", "/sessions/" + sessionId, alice, null, Map.of()).status()).isEqualTo(200);
        ApiClient.Reply freed = api.call("DELETE", "/folders/" + models, alice, null, Map.of());
        assertThat(freed.status()).as("the session ended: " + freed.body()).isEqualTo(200);
        ApiClient.Reply deleted = api.post("/sessions", alice, session + "\"mounts\":[\"" + models + "\"]}");
        assertThat(deleted.status()).isEqualTo(422);
        assertThat(deleted.errorField()).isEqualTo("mounts[0]");
    }

    @Test
    void aFolderTooBigForTheRequestIsDeletedInTheBackgroundWithItsUnfinishedUploads() throws Exception {
        // The test stack lets a delete request remove one page of 1,000 objects itself (FolderDeletePagesPerRequest=1).
        String name = unique("huge");
        JsonNode folder = create(alice, name, false);
        seed(folder, 2_300, 0);
        String abandoned = s3.createMultipartUpload(b -> b.bucket(bucket).key(prefix(folder) + "upload/half.bin")).uploadId();
        assertThat(abandoned).isNotBlank();

        ApiClient.Reply deleted = api.call("DELETE", "/folders/" + name, alice, null, Map.of());

        assertThat(deleted.status()).as(deleted.body()).isEqualTo(202);
        assertThat(deleted.json().get("folder").get("status").asText()).isEqualTo("delete-ongoing");
        String taskId = deleted.json().get("task_id").asText();
        assertThat(deleted.json().get("task").get("kind").asText()).isEqualTo("folder-delete");
        assertThat(deleted.json().get("task").get("progress").get("phase").asText()).isEqualTo("removing");
        assertThat(deleted.json().get("task").get("progress").get("objects_done").asLong()).isEqualTo(1_000);
        assertThat(deleted.json().get("task").get("sequence").asLong()).as("the sequence the worker's rule matches").isEqualTo(2);
        assertThat(api.get("/tasks/" + taskId, bob).status()).as("not bob's task").isEqualTo(404);
        ApiClient.Reply cancel = api.call("DELETE", "/tasks/" + taskId, alice, null, Map.of());
        assertThat(cancel.status()).as("a deletion is not cancelled (or has already ended): " + cancel.body()).isEqualTo(409);

        // The task's first event starts the deletion worker through its rule; nothing else is invoked here.
        JsonNode done = awaitTask(alice, taskId, t -> !t.get("status").asText().equals("started"), Duration.ofSeconds(60));
        assertThat(done.get("status").asText()).as(done.toString()).isEqualTo("done");
        assertThat(done.get("result").get("objects_removed").asLong()).isEqualTo(2_300);
        assertThat(count(prefix(folder))).isZero();
        assertThat(s3.listMultipartUploads(b -> b.bucket(bucket).prefix(prefix(folder))).uploads()).as("unfinished uploads aborted").isEmpty();
        assertThat(api.get("/folders/" + name, alice).status()).isEqualTo(404);
        JsonNode listed = api.get("/folders?all=true", alice).json().get("items");
        JsonNode gone = null;
        for (JsonNode f : listed) {
            if (f.get("id").asText().equals(folder.get("id").asText())) {
                gone = f;
            }
        }
        assertThat(gone).as("the deleted folder is listed with all=true").isNotNull();
        assertThat(gone.get("status").asText()).isEqualTo("delete-complete");
        assertThat(gone.get("status_history").findValuesAsText("status")).containsSubsequence("ready", "delete-pending", "delete-ongoing",
                "delete-complete");
    }
}
