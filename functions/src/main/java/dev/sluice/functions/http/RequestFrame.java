package dev.sluice.functions.http;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.Wiring;
import dev.sluice.adapters.aws.Offline;
import dev.sluice.adapters.dynamodb.IdempotentResponses;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import dev.sluice.core.usecase.IdempotencyKey;
import java.time.Clock;
import java.util.Optional;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one request frame of every HTTP function, the user API and the agent API alike: read the request within its
 * body limit and deadline, verify the caller ({@link #authenticate}, who {@code C} is), answer a method the route
 * does not take with 405 and Allow, run a mutating call at most once per Idempotency-Key, route, turn a domain
 * refusal into its 4xx answer and anything unexpected into a bare 500 (details only in the log), and log one JSON
 * line per request ({@link RequestLog}).
 */
public abstract class RequestFrame<C> implements RequestHandler<APIGatewayProxyRequestEvent, APIGatewayProxyResponseEvent> {
    protected final ControlPlane plane;
    private final Clock clock;
    private final String function;

    protected RequestFrame(Wiring wiring) {
        this.plane = wiring.control();
        this.clock = wiring.clock();
        this.function = getClass().getSimpleName();
    }

    /** Who is calling; a {@link DomainException} (401/403) when no one acceptable is. */
    protected abstract C authenticate(APIGatewayProxyRequestEvent event, ApiRequest request);

    /** The scope of the caller's Idempotency-Keys (keys of different callers never meet). */
    protected abstract String idempotencyScope(C caller);

    /** What the log line tells of the caller, beyond the common fields (nothing by default). */
    protected void describe(C caller, RequestLog log) {
    }

    /** Answers one authenticated request. */
    protected abstract APIGatewayProxyResponseEvent route(ApiRequest request, C caller);

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
        ApiRequest request = new ApiRequest(event, maxBodyBytes(event.getResource() == null ? "" : event.getResource()),
                ApiRequest.deadline(event, context, clock.instant()));
        RequestLog log = RequestLog.start(context, function, request.method(), request.route());
        APIGatewayProxyResponseEvent response;
        String failure = null;
        try {
            C caller = authenticate(event, request);
            describe(caller, log);
            Optional<String> allow = Routes.refusal(request.route(), request.method());
            if (allow.isPresent()) {
                // Before the idempotency frame: a method the route does not take is answered alike every time.
                response = methodNotAllowed(request, allow.get());
            } else {
                response = request.isMutating() && !keepsItsOwnIdempotency(request)
                        ? idempotently(request, caller)
                        : route(request, caller);
            }
        } catch (DomainException e) {
            response = ApiResponses.error(e);
        } catch (RuntimeException e) {
            failure = RequestLog.failure(e);
            response = ApiResponses.error(500, "internal_error", "The request could not be completed; it has been logged.", null);
        }
        log.end(response.getStatusCode(), failure);
        return response;
    }

    /**
     * SnapStart priming only: answers {@code event} as {@code caller}, past the caller check (whose token keys would
     * be fetched over the network), so that routing, the use case and the answer's classes are loaded before the
     * snapshot. Refused unless this thread's AWS calls are answered offline ({@link Offline}).
     */
    public final APIGatewayProxyResponseEvent answerOffline(APIGatewayProxyRequestEvent event, C caller) {
        if (!Offline.active()) {
            throw new IllegalStateException("answerOffline is for priming, with AWS calls answered offline");
        }
        try {
            return route(new ApiRequest(event, maxBodyBytes(event.getResource() == null ? "" : event.getResource()),
                    ApiRequest.deadline(event, null, clock.instant())), caller);
        } catch (DomainException e) {
            return ApiResponses.error(e);
        }
    }

    /**
     * Runs a mutating call at most once per Idempotency-Key: the key is claimed first (a conditional write), so of two
     * racing requests exactly one runs; the other waits for its answer (409 if it does not come in time). A retry gets the
     * first successful answer again; a failed call gives the key back.
     */
    private APIGatewayProxyResponseEvent idempotently(ApiRequest request, C caller) {
        Optional<IdempotencyKey> key = request.idempotencyKey();
        if (key.isEmpty()) {
            return route(request, caller);
        }
        String scope = idempotencyScope(caller);
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
