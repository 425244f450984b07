package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.StringJoiner;

/** The Sluice HTTP API as the command uses it: bearer token, JSON both ways, errors as {@link Failure}s. */
final class SluiceApi {
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final Configuration config;
    private final HttpClient http;

    SluiceApi(Configuration config) {
        this.config = config;
        this.http = HttpClient.newBuilder().connectTimeout(TIMEOUT).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    Configuration configuration() {
        return config;
    }

    JsonNode get(String path, Map<String, String> query) {
        return send("GET", path, query, null, Map.of());
    }

    JsonNode get(String path) {
        return get(path, Map.of());
    }

    /** One request; {@code body} may be null. Returns the reply's JSON (a null node for an empty reply). */
    JsonNode send(String method, String path, Map<String, String> query, JsonNode body, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(config.endpoint() + path + queryString(query)))
                .timeout(TIMEOUT)
                .header("Authorization", "Bearer " + config.token())
                .header("Accept", "application/json")
                .header("User-Agent", "sluice-cli/" + Sluice.version());
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
        }
        headers.forEach(request::header);
        HttpResponse<String> reply;
        try {
            reply = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new Unreachable(config.endpoint(), reason(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unreachable(config.endpoint(), "interrupted", e);
        }
        return parse(reply.statusCode(), reply.body());
    }

    /** A path segment, escaped (ids and names come from the user). */
    static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String queryString(Map<String, String> query) {
        if (query.isEmpty()) {
            return "";
        }
        StringJoiner q = new StringJoiner("&", "?", "");
        query.forEach((k, v) -> q.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return q.toString();
    }

    private static JsonNode parse(int status, String body) {
        JsonNode json = readJson(body);
        if (status >= 200 && status < 300) {
            if (json == null) {
                throw new ApiRefusal(status, "internal_error", "The API answered " + status + " with something that is not JSON: "
                        + snippet(body) + ".", null);
            }
            return json;
        }
        JsonNode error = json == null ? NullNode.getInstance() : json.path("error");
        if (error.isObject() && error.path("message").isTextual()) {
            JsonNode field = error.path("field");
            throw new ApiRefusal(status, error.path("code").asText(""), error.path("message").asText(),
                    field.isTextual() ? field.asText() : null);
        }
        String text = body == null || body.isBlank() ? "no details" : snippet(body);
        throw new ApiRefusal(status, "http_" + status, "The API answered HTTP " + status + ": " + text + ".", null);
    }

    private static JsonNode readJson(String body) {
        if (body == null || body.isBlank()) {
            return NullNode.getInstance();
        }
        try {
            return Json.MAPPER.readTree(body);
        } catch (IOException notJson) {
            return null;
        }
    }

    private static String snippet(String body) {
        String flat = body.strip().replaceAll("\\s+", " ");
        return flat.length() > 120 ? flat.substring(0, 120) + "…" : flat;
    }

    /** A short human reason for a failed exchange. */
    static String reason(IOException e) {
        if (e instanceof HttpConnectTimeoutException) {
            return "no connection within " + TIMEOUT.toSeconds() + " s";
        }
        if (e instanceof HttpTimeoutException) {
            return "no reply within " + TIMEOUT.toSeconds() + " s";
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException) {
                return "unknown host";
            }
        }
        if (e instanceof ConnectException) {
            return "connection refused";
        }
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }
}
