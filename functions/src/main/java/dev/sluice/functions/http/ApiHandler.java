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

    /** True for the calls whose use case keeps its Idempotency-Key itself, atomically with what it writes. */
    protected boolean keepsItsOwnIdempotency(ApiRequest request) {
        return false;
    }

    @Override
    public final APIGatewayProxyResponseEvent handleRequest(APIGatewayProxyRequestEvent event, Context context) {
        long started = System.nanoTime();
        ApiRequest request = new ApiRequest(event);
        APIGatewayProxyResponseEvent response;
        String failure = null;
        try {
            Principal caller = plane.tokens().verifyHeader(request.header("Authorization").orElse(null));
            if (caller.isAgent()) {
                throw new DomainException(ErrorCode.FORBIDDEN, "Authorization", "an agent identity may only use the agent API");
            }
            response = request.isMutating() && !keepsItsOwnIdempotency(request)
                    ? idempotently(request, caller)
                    : route(request, caller);
        } catch (DomainException e) {
            response = ApiResponses.error(e);
        } catch (RuntimeException e) {
            failure = e.getClass().getName() + ": " + e.getMessage();
            response = ApiResponses.error(500, "internal_error", "the request could not be completed; it has been logged", null);
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

    /** Runs a mutating call at most once per Idempotency-Key: a retry gets the first successful answer again. */
    private APIGatewayProxyResponseEvent idempotently(ApiRequest request, Principal caller) {
        Optional<IdempotencyKey> key = request.idempotencyKey();
        if (key.isEmpty()) {
            return route(request, caller);
        }
        String scope = "response#" + caller.subject();
        Optional<IdempotentResponses.Stored> first = plane.responses().find(scope, key.get().key());
        if (first.isPresent()) {
            if (!first.get().fingerprint().equals(key.get().fingerprint())) {
                throw new DomainException(ErrorCode.IDEMPOTENCY_MISMATCH, "Idempotency-Key",
                        "this Idempotency-Key was already used for a different request");
            }
            return ApiResponses.raw(first.get().status(), first.get().body());
        }
        APIGatewayProxyResponseEvent response = route(request, caller);
        if (response.getStatusCode() >= 200 && response.getStatusCode() < 300) {
            plane.responses().remember(scope, key.get().key(),
                    new IdempotentResponses.Stored(key.get().fingerprint(), response.getStatusCode(), remembered(request, response.getBody())));
        }
        return response;
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
        return ApiResponses.error(405, "method_not_allowed", request.method() + " is not allowed on " + request.route(), null);
    }
}
