package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Moves file data straight to and from S3 through the presigned URLs the API hands out. */
final class Transfer {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(SluiceApi.TIMEOUT).build();
    private final SluiceApi api;

    Transfer(SluiceApi api) {
        this.api = api;
    }

    /** Uploads one file as {@code path} in the folder (multipart when the API says so); its size. */
    long upload(String folder, Path file, String path) throws IOException, InterruptedException {
        long size = Files.size(file);
        ObjectNode ask = Json.MAPPER.createObjectNode().put("path", path).put("size", size);
        JsonNode plan = api.send("POST", FolderCommand.path(folder) + "/uploads", java.util.Map.of(), ask, java.util.Map.of());
        if (plan.path("method").asText().equals("multipart")) {
            long partSize = plan.path("part_size").asLong();
            String uploadId = plan.path("upload_id").asText();
            ArrayNode parts = Json.MAPPER.createArrayNode();
            JsonNode page = plan;
            while (true) {
                for (JsonNode part : page.path("parts")) {
                    int number = part.path("number").asInt();
                    long from = (number - 1) * partSize;
                    byte[] chunk = new byte[(int) Math.min(partSize, size - from)];
                    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
                        raf.seek(from);
                        raf.readFully(chunk);
                    }
                    HttpResponse<String> r = put(part.path("url").asText(), HttpRequest.BodyPublishers.ofByteArray(chunk));
                    parts.addObject().put("number", number).put("etag", r.headers().firstValue("ETag").orElse(""));
                }
                // The part URLs come a page at a time (each is long on AWS); the next page when this one is done.
                if (!page.path("next_part").canConvertToInt()) {
                    break;
                }
                ObjectNode next = Json.MAPPER.createObjectNode().put("path", path).put("size", size).put("upload_id", uploadId)
                        .put("first_part", page.path("next_part").asInt());
                page = api.send("POST", FolderCommand.path(folder) + "/uploads", java.util.Map.of(), next, java.util.Map.of());
            }
            ObjectNode done = Json.MAPPER.createObjectNode().put("path", path).put("upload_id", uploadId);
            done.set("parts", parts);
            api.send("POST", FolderCommand.path(folder) + "/uploads/complete", java.util.Map.of(), done, java.util.Map.of());
        } else {
            put(plan.path("url").asText(), HttpRequest.BodyPublishers.ofFile(file));
        }
        return size;
    }

    private HttpResponse<String> put(String url, HttpRequest.BodyPublisher body) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).PUT(body).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new ApiRefusal(r.statusCode(), "storage_refused", "the storage refused the upload (HTTP " + r.statusCode() + ")", null);
        }
        return r;
    }

    /** Downloads one file of the folder into {@code target}; its size. */
    long download(String folder, String path, Path target) throws IOException, InterruptedException {
        JsonNode where = api.get(FolderCommand.path(folder) + "/download", java.util.Map.of("path", path));
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(where.path("url").asText())).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) {
            r.body().close();
            throw new ApiRefusal(r.statusCode(), "storage_refused", "the storage refused the download of " + path + " (HTTP " + r.statusCode() + ")", null);
        }
        Files.createDirectories(target.toAbsolutePath().getParent());
        try (InputStream in = r.body()) {
            return Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
