package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Follows a task's server-sent events ({@code GET /tasks/{id}/events}) until its final event: reads the stream line by
 * line, and when the server closes it early (API Gateway answers one event at a time) reconnects after the
 * {@code retry} it asked for, with Last-Event-ID, so the same code follows a real stream or a buffering gateway.
 */
final class TaskFollower {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(SluiceApi.TIMEOUT).build();
    private final String eventsBase;
    private final String token;
    private final Invocation.Pause pause;

    TaskFollower(String eventsBase, String token, Invocation.Pause pause) {
        this.eventsBase = eventsBase;
        this.token = token;
        this.pause = pause;
    }

    /** Calls {@code onUpdate} with each new state of the task; returns the final one. */
    JsonNode follow(String taskId, Consumer<JsonNode> onUpdate) throws InterruptedException {
        String lastId = null;
        long retryMillis = 1000;
        for (int attempt = 0; ; attempt++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(eventsBase + "/tasks/" + SluiceApi.segment(taskId) + "/events"))
                    .header("Authorization", "Bearer " + token).header("Accept", "text/event-stream");
            if (lastId != null) {
                request.header("Last-Event-ID", lastId);
            }
            HttpResponse<InputStream> reply;
            try {
                reply = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException e) {
                throw new Unreachable(eventsBase, SluiceApi.reason(e), e);
            }
            if (reply.statusCode() != 200) {
                try (InputStream in = reply.body()) {
                    String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    JsonNode error = Json.MAPPER.readTree(body.isBlank() ? "{}" : body).path("error");
                    throw new ApiRefusal(reply.statusCode(), error.path("code").asText("http_" + reply.statusCode()),
                            error.path("message").asText("The event stream answered HTTP " + reply.statusCode() + "."),
                            error.path("field").isTextual() ? error.path("field").asText() : null);
                } catch (IOException e) {
                    throw new ApiRefusal(reply.statusCode(), "http_" + reply.statusCode(), "The event stream answered HTTP " + reply.statusCode() + ".", null);
                }
            }
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(reply.body(), StandardCharsets.UTF_8))) {
                String event = "message";
                String id = null;
                StringBuilder data = new StringBuilder();
                String line;
                while ((line = lines.readLine()) != null) {
                    if (line.isEmpty()) {
                        if (data.length() > 0 && (id == null || !id.equals(lastId))) {
                            JsonNode task = Json.MAPPER.readTree(data.toString());
                            lastId = id;
                            onUpdate.accept(task);
                            if (!event.equals("progress")) {
                                return task;
                            }
                        }
                        event = "message";
                        id = null;
                        data.setLength(0);
                    } else if (line.startsWith("data:")) {
                        data.append(data.length() == 0 ? "" : "\n").append(line.substring(5).stripLeading());
                    } else if (line.startsWith("event:")) {
                        event = line.substring(6).strip();
                    } else if (line.startsWith("id:")) {
                        id = line.substring(3).strip();
                    } else if (line.startsWith("retry:")) {
                        try {
                            retryMillis = Long.parseLong(line.substring(6).strip());
                        } catch (NumberFormatException ignored) {
                            // keep the last good value
                        }
                    }
                }
            } catch (IOException e) {
                // the stream broke: reconnect below
            }
            pause.sleep(Duration.ofMillis(Math.min(retryMillis, 5000)));
        }
    }
}
