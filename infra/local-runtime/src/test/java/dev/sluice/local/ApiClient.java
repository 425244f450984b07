package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.adapters.json.Json;
import dev.sluice.core.error.Sentences;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** Calls the API through the emulator's API Gateway, as any client does. */
final class ApiClient {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String baseUrl;

    ApiClient(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    record Reply(int status, String body) {
        JsonNode json() {
            try {
                return Json.MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }

        /** The field the error names, or "" when the reply is not an error of ours. */
        String errorField() {
            return json().path("error").path("field").asText("");
        }
    }

    Reply call(String method, String path, String token, String body, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        headers.forEach(b::header);
        try {
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.body()).as("the emulator ran no real function").doesNotStartWith("Mock response");
            assertThat(r.body()).doesNotContain("Mock response");
            Reply reply = new Reply(r.statusCode(), r.body());
            assertRefusalReadsAsSentence(method + " " + path, reply);
            return reply;
        } catch (IOException e) {
            throw new AssertionError(method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Every 4xx answer of ours, from a function or the gateway, is a sentence on its own that names its field. */
    private static void assertRefusalReadsAsSentence(String call, Reply reply) {
        if (reply.status() < 400 || reply.status() >= 500) {
            return;
        }
        JsonNode error;
        try {
            error = Json.MAPPER.readTree(reply.body()).path("error");
        } catch (IOException notJson) {
            return;
        }
        if (error.path("message").isTextual()) {
            String field = error.path("field").isTextual() ? error.path("field").asText() : null;
            try {
                Sentences.assertReadsAsSentence(field, error.path("message").asText());
            } catch (AssertionError e) {
                throw new AssertionError(call + " answered " + reply.status() + " with a message that does not read as a sentence: "
                        + reply.body(), e);
            }
        }
    }

    Reply get(String path, String token) {
        return call("GET", path, token, null, Map.of());
    }

    Reply post(String path, String token, String body) {
        return call("POST", path, token, body, Map.of());
    }

    Reply put(String path, String token, String body) {
        return call("PUT", path, token, body, Map.of());
    }

    /** Polls the session until it has {@code status}; fails the test (naming what it is) when it does not within the time. */
    JsonNode awaitSession(String id, String token, String status, Duration within) throws InterruptedException {
        java.time.Instant deadline = java.time.Instant.now().plus(within);
        JsonNode s = null;
        while (java.time.Instant.now().isBefore(deadline)) {
            s = get("/sessions/" + id, token).json();
            if (s.path("status").asText().equals(status)) {
                return s;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("session " + id + " did not reach " + status + " within " + within + "; it is " + s);
    }

    /** The statuses of a session's history, oldest first. */
    static java.util.List<String> history(JsonNode session) {
        return session.path("status_history").findValuesAsText("status");
    }
}
