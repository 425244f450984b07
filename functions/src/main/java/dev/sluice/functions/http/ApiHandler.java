package dev.sluice.functions.http;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.json.Json;
import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
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

    @Override
    public final APIGatewayProxyResponseEvent handleRequest(APIGatewayProxyRequestEvent event, Context context) {
        long started = System.nanoTime();
        ApiRequest request = new ApiRequest(event);
        APIGatewayProxyResponseEvent response;
        String failure = null;
        try {
            Principal caller = plane.tokens().verifyHeader(request.header("Authorization").orElse(null));
            response = route(request, caller);
        } catch (DomainException e) {
            response = ApiResponses.error(e);
        } catch (RuntimeException e) {
            failure = e.getClass().getName() + ": " + e.getMessage();
            response = ApiResponses.error(500, "internal_error", "the request could not be completed; it has been logged", null);
        }
        log(context, request, response.getStatusCode(), started, failure);
        return response;
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
