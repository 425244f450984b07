package dev.sluice.functions.http;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.sluice.adapters.json.Json;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import dev.sluice.core.usecase.IdempotencyKey;
import java.nio.charset.StandardCharsets;
import com.amazonaws.services.lambda.runtime.Context;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/** Reads what a handler needs from an API Gateway proxy event, refusing bad input with field-named errors. */
public final class ApiRequest {
    /** Request bodies above this are refused with 413 before they are parsed. */
    public static final int MAX_BODY_BYTES = 64 * 1024;

    /** API Gateway's integration timeout: past it the client has its 504, whatever the function still does. */
    public static final Duration GATEWAY_TIMEOUT = Duration.ofSeconds(29);
    /** What a request keeps between the end of its work and its deadline, for its last writes and its answer. */
    public static final Duration ANSWER_MARGIN = Duration.ofSeconds(3);

    private final APIGatewayProxyRequestEvent event;
    private final int maxBodyBytes;
    private final Instant deadline;

    /** A request with the usual body limit and no deadline (the frame gives every real request its deadline). */
    public ApiRequest(APIGatewayProxyRequestEvent event) {
        this(event, MAX_BODY_BYTES, Instant.MAX);
    }

    /**
     * A request whose route takes bodies up to {@code maxBodyBytes} (e.g. the completion of a 10,000-part upload) and
     * whose work must end by {@code deadline}.
     */
    public ApiRequest(APIGatewayProxyRequestEvent event, int maxBodyBytes, Instant deadline) {
        this.event = event;
        this.maxBodyBytes = maxBodyBytes;
        this.deadline = deadline;
    }

    /**
     * When the work of a request must end: {@link #ANSWER_MARGIN} before the earlier of the function's timeout (the
     * context's remaining time) and API Gateway's 29 s from when it received the request (a cold start counts there,
     * not in the function's time).
     */
    public static Instant deadline(APIGatewayProxyRequestEvent event, Context context, Instant now) {
        Instant end = now.plus(GATEWAY_TIMEOUT);
        Long received = event.getRequestContext() == null ? null : event.getRequestContext().getRequestTimeEpoch();
        // Only a plausible receipt time counts (the gateway's clock and ours agree within a minute).
        if (received != null && received > now.minusSeconds(60).toEpochMilli() && received <= now.toEpochMilli()) {
            Instant gateway = Instant.ofEpochMilli(received).plus(GATEWAY_TIMEOUT);
            end = gateway.isBefore(end) ? gateway : end;
        }
        if (context != null) {
            Instant function = now.plusMillis(context.getRemainingTimeInMillis());
            end = function.isBefore(end) ? function : end;
        }
        return end.minus(ANSWER_MARGIN);
    }

    /** When this request's work must end (see {@link #deadline(APIGatewayProxyRequestEvent, Context, Instant)}). */
    public Instant deadline() {
        return deadline;
    }

    public String method() {
        return event.getHttpMethod() == null ? "" : event.getHttpMethod();
    }

    /** The route template, e.g. {@code /sessions/{id}}. */
    public String route() {
        return event.getResource() == null ? "" : event.getResource();
    }

    public String pathParameter(String name) {
        Map<String, String> params = event.getPathParameters();
        String value = params == null ? null : params.get(name);
        if (value == null || value.isEmpty()) {
            throw DomainException.malformed(name, "is required in the path");
        }
        return value;
    }

    /** Query-string parameters (empty when there are none). */
    public Map<String, String> queryParameters() {
        Map<String, String> q = event.getQueryStringParameters();
        return q == null ? Map.of() : q;
    }

    /**
     * The one parser of boolean query flags, used by every handler: absent is false, {@code true} and {@code false}
     * are themselves, and anything else, the empty value of {@code ?running=} included, is a 422 naming the flag.
     */
    public boolean flag(String name) {
        return flag(queryParameters(), name);
    }

    /** {@link #flag(String)} over a map of query parameters. */
    public static boolean flag(Map<String, String> query, String name) {
        String value = query.get(name);
        if (value == null || value.equals("false")) {
            return false;
        }
        if (value.equals("true")) {
            return true;
        }
        throw DomainException.invalid(name, "must be true or false" + (value.isEmpty() ? ", and it is empty" : ""));
    }

    public boolean isMutating() {
        return !method().equals("GET") && !method().equals("HEAD") && !method().equals("OPTIONS");
    }

    /** A fingerprint of what the request asks: route, path parameters, query and body. */
    public String fingerprint() {
        return sha256(method() + " " + route() + "\n" + new java.util.TreeMap<>(event.getPathParameters() == null ? Map.of() : event.getPathParameters())
                + "\n" + new java.util.TreeMap<>(queryParameters()) + "\n" + rawBody());
    }

    public Optional<String> header(String name) {
        Map<String, String> headers = event.getHeaders();
        if (headers == null) {
            return Optional.empty();
        }
        for (Map.Entry<String, String> h : headers.entrySet()) {
            if (h.getKey().equalsIgnoreCase(name)) {
                return Optional.ofNullable(h.getValue());
            }
        }
        return Optional.empty();
    }

    public String rawBody() {
        String body = event.getBody();
        if (body == null) {
            return "";
        }
        if (Boolean.TRUE.equals(event.getIsBase64Encoded())) {
            try {
                body = new String(Base64.getDecoder().decode(body), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw DomainException.malformed("body", "is not valid base64");
            }
        }
        if (body.getBytes(StandardCharsets.UTF_8).length > maxBodyBytes) {
            throw new DomainException(ErrorCode.PAYLOAD_TOO_LARGE, "body", DomainException.sentence("body", "must be at most " + maxBodyBytes + " bytes"));
        }
        return body;
    }

    /** The body as a JSON object. */
    public Map<String, Object> jsonBody() {
        String body = rawBody();
        if (body.isBlank()) {
            throw DomainException.malformed("body", "must be a JSON object");
        }
        try {
            return Json.readObject(body);
        } catch (JsonProcessingException e) {
            throw DomainException.malformed("body", "is not a valid JSON object: " + e.getOriginalMessage());
        }
    }

    /** The Idempotency-Key header, fingerprinted with the body so a reuse for another request is caught. */
    public Optional<IdempotencyKey> idempotencyKey() {
        return header("Idempotency-Key").map(k -> new IdempotencyKey(k, fingerprint()));
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
