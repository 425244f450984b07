package dev.sluice.local.bench;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Set;
import java.util.function.Predicate;

/**
 * What the recording and fault-injecting proxies of the tests and benchmarks share: sending a request they took on to
 * the real endpoint, and answering with what came back (or with their own answer).
 */
public final class Forwarding {
    /** Headers a proxy must not copy: the HTTP client sets them itself (and refuses some). */
    public static final Predicate<String> ALL_BUT_HOP_BY_HOP =
            h -> !Set.of("host", "content-length", "connection", "expect", "upgrade").contains(h.toLowerCase());

    private Forwarding() {
    }

    /** Sends {@code ex}'s method with {@code body} to {@code url}, with the request headers {@code header} keeps. */
    public static HttpResponse<byte[]> send(HttpClient http, String url, HttpExchange ex, byte[] body, Predicate<String> header)
            throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
                .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        ex.getRequestHeaders().forEach((k, v) -> {
            if (header.test(k)) {
                v.forEach(x -> b.header(k, x));
            }
        });
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /** Answers {@code ex} with {@code status} and {@code body} (none when empty), and closes it. */
    public static void answer(HttpExchange ex, int status, byte[] body, String contentType) throws IOException {
        ex.getResponseHeaders().add("Content-Type", contentType);
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            ex.getResponseBody().write(body);
        }
        ex.close();
    }
}
