package dev.sluice.functions.http;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import dev.sluice.adapters.json.Json;
import dev.sluice.core.error.DomainException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Builds every HTTP answer, and maps a domain error to its status and the one error shape, in one place. */
public final class ApiResponses {
    private static final Map<String, String> JSON = Map.of("Content-Type", "application/json");

    private ApiResponses() {
    }

    public static APIGatewayProxyResponseEvent json(int status, Object body) {
        return new APIGatewayProxyResponseEvent().withStatusCode(status).withHeaders(JSON).withBody(Json.write(body));
    }

    /** An answer whose JSON body is already written (a replayed idempotent answer). */
    public static APIGatewayProxyResponseEvent raw(int status, String jsonBody) {
        return new APIGatewayProxyResponseEvent().withStatusCode(status).withHeaders(JSON).withBody(jsonBody);
    }

    public static APIGatewayProxyResponseEvent error(DomainException e) {
        return error(e.code().httpStatus(), e.code().wireName(), e.getMessage(), e.field().orElse(null));
    }

    public static APIGatewayProxyResponseEvent error(int status, String code, String message, String field) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", code);
        error.put("message", message);
        error.put("field", field);
        return json(status, Map.of("error", error));
    }
}
