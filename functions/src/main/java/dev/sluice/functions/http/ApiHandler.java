package dev.sluice.functions.http;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.aws.Offline;
import dev.sluice.adapters.json.Json;
import dev.sluice.core.auth.Principal;
import dev.sluice.adapters.dynamodb.IdempotentResponses;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import dev.sluice.core.usecase.IdempotencyKey;
import java.util.Optional;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The frame of every API function: verify the caller, route, turn a domain refusal into its 4xx answer and anything
 * unexpected into a bare 500 (details only in the log), and log one JSON line per request.
 */
public abstract class ApiHandler implements RequestHandler<APIGatewayProxyRequestEvent, APIGatewayProxyResponseEvent> {
    protected final ControlPlane plane;

    protected ApiHandler(ControlPlane plane) {
        this.plane = plane;
    }

    /** Answers one authenticated request. */
    protected abstract APIGatewayProxyResponseEvent route(ApiRequest request, Principal caller);

    /** The largest request body the route takes ({@link ApiRequest#MAX_BODY_BYTES} unless a route needs more). */
    protected int maxBodyBytes(String route) {
        return ApiRequest.MAX_BODY_BYTES;
    }

    /** True for the calls whose use case keeps its Idempotency-Key itself, atomically with what it writes. */
    protected boolean keepsItsOwnIdempotency(ApiRequest request) {
        return false;
    }

    @Override
    public final APIGatewayProxyResponseEvent handleRequest(APIGatewayProxyRequestEvent event, Context context) {
        long started = System.nanoTime();
        ApiRequest request = new ApiRequest(event, maxBodyBytes(event.getResource() == null ? "" : event.getResource()),
                ApiRequest.deadline(event, context, java.time.Instant.now()));
        APIGatewayProxyResponseEvent response;
        String failure = null;
        try {
            Principal caller = plane.tokens().verifyHeader(request.header("Authorization").orElse(null));
            if (caller.isAgent()) {
                throw new DomainException(ErrorCode.FORBIDDEN, "Authorization", "The Authorization token is an agent identity, which may only use the agent API.");
            }
            Optional<String> allow = Routes.refusal(request.route(), request.method());
            if (allow.isPresent()) {
                // Before the idempotency frame: a method the route does not take is answered alike every time.
                response = methodNotAllowed(request, allow.get());
                log(context, request, response.getStatusCode(), started, null);
                return response;
            }
            response = request.isMutating() && !keepsItsOwnIdempotency(request)
                    ? idempotently(request, caller)
                    : route(request, caller);
        } catch (DomainException e) {
            response = ApiResponses.error(e);
        } catch (RuntimeException e) {
            failure = e.getClass().getName() + ": " + e.getMessage();
            response = ApiResponses.error(500, "internal_error", "The request could not be completed; it has been logged.", null);
        }
        log(context, request, response.getStatusCode(), started, failure);
        return response;
    }

    /**
     * SnapStart priming only: answers {@code event} as {@code caller}, past the token check (whose keys would be
     * fetched over the network), so that routing, the use case and the answer's classes are loaded before the
     * snapshot. Refused unless this thread's AWS calls are answered offline ({@link Offline}).
     */
    public final APIGatewayProxyResponseEvent answerOffline(APIGatewayProxyRequestEvent event, Principal caller) {
        if (!Offline.active()) {
            throw new IllegalStateException("answerOffline is for priming, with AWS calls answered offline");
        }
        try {
            return route(new ApiRequest(event), caller);
        } catch (DomainException e) {
            return ApiResponses.error(e);
        }
    }

    /**
     * Runs a mutating call at most once per Idempotency-Key: the key is claimed first (a conditional write), so of two
     * racing requests exactly one runs; the other waits for its answer (409 if it does not come in time). A retry gets the
     * first successful answer again; a failed call gives the key back.
     */
    private APIGatewayProxyResponseEvent idempotently(ApiRequest request, Principal caller) {
        Optional<IdempotencyKey> key = request.idempotencyKey();
        if (key.isEmpty()) {
            return route(request, caller);
        }
        String scope = "response#" + caller.subject();
        IdempotentResponses.Claim claim = plane.responses().claim(scope, key.get().key(), key.get().fingerprint());
        for (int wait = 0; claim instanceof IdempotentResponses.Claim.InProgress running && running.sameRequest()
                && wait < IN_PROGRESS_WAITS; wait++) {
            sleep(IN_PROGRESS_POLL_MILLIS);
            Optional<IdempotentResponses.Stored> answered = plane.responses().find(scope, key.get().key());
            claim = answered.isPresent() ? new IdempotentResponses.Claim.Answered(answered.get()) : claim;
        }
        if (claim instanceof IdempotentResponses.Claim.Answered answered) {
            if (!answered.answer().fingerprint().equals(key.get().fingerprint())) {
                throw mismatch();
            }
            return ApiResponses.raw(answered.answer().status(), answered.answer().body());
        }
        if (claim instanceof IdempotentResponses.Claim.InProgress running) {
            if (!running.sameRequest()) {
                throw mismatch();
            }
            throw new DomainException(ErrorCode.CONFLICT, "Idempotency-Key",
                    "A request with this Idempotency-Key is still running; retry it in a moment to get its answer.");
        }
        String token = ((IdempotentResponses.Claim.Claimed) claim).token();
        APIGatewayProxyResponseEvent response;
        try {
            response = route(request, caller);
        } catch (RuntimeException e) {
            plane.responses().release(scope, key.get().key(), token);
            throw e;
        }
        if (response.getStatusCode() >= 200 && response.getStatusCode() < 300) {
            plane.responses().complete(scope, key.get().key(), token,
                    new IdempotentResponses.Stored(key.get().fingerprint(), response.getStatusCode(), remembered(request, response.getBody())));
        } else {
            plane.responses().release(scope, key.get().key(), token);
        }
        return response;
    }

    private static final int IN_PROGRESS_WAITS = 40;
    private static final long IN_PROGRESS_POLL_MILLIS = 100;

    private static DomainException mismatch() {
        return new DomainException(ErrorCode.IDEMPOTENCY_MISMATCH, "Idempotency-Key",
                "This Idempotency-Key was already used for a different request.");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a request with the same Idempotency-Key", e);
        }
    }

    /**
     * What is kept of a successful answer for an Idempotency-Key replay; by default all of it. Answers that carry a
     * secret override this so that no secret is ever stored in the idempotency table.
     */
    protected String remembered(ApiRequest request, String body) {
        return body;
    }

    private static void log(Context context, ApiRequest request, int status, long started, String failure) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("level", failure == null ? "INFO" : "ERROR");
        line.put("requestId", context == null ? null : context.getAwsRequestId());
        line.put("method", request.method());
        line.put("route", request.route());
        line.put("status", status);
        line.put("durationMs", (System.nanoTime() - started) / 1_000_000.0);
        if (failure != null) {
            line.put("error", failure);
        }
        System.out.println(Json.write(line));
    }

    protected static APIGatewayProxyResponseEvent methodNotAllowed(ApiRequest request) {
        return methodNotAllowed(request, Routes.all().getOrDefault(request.route(), ""));
    }

    /** 405 with the route's methods in an Allow header (RFC 9110 requires it with a 405). */
    static APIGatewayProxyResponseEvent methodNotAllowed(ApiRequest request, String allow) {
        APIGatewayProxyResponseEvent response = ApiResponses.error(405, "method_not_allowed", request.method() + " is not allowed on "
                + request.route() + (allow.isEmpty() ? "." : "; it takes " + allow + "."), null);
        Map<String, String> headers = new LinkedHashMap<>(response.getHeaders());
        if (!allow.isEmpty()) {
            headers.put("Allow", allow);
        }
        return response.withHeaders(headers);
    }
}
