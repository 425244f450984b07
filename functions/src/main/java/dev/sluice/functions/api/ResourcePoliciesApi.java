package dev.sluice.functions.api;

import dev.sluice.core.request.RequestFields;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import dev.sluice.adapters.Wiring;
import dev.sluice.core.auth.Principal;
import dev.sluice.core.scheduler.ResourcePolicy;
import dev.sluice.core.slots.ResourceSlots;
import dev.sluice.functions.Priming;
import dev.sluice.functions.http.ApiHandler;
import dev.sluice.functions.http.ApiRequest;
import dev.sluice.functions.http.ApiResponses;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Admin: resource policies by scope ({@code domain}, {@code user:<subject>}, {@code group:<name>}). */
public final class ResourcePoliciesApi extends ApiHandler {

    public ResourcePoliciesApi() {
        this(Wiring.fromEnvironment(System.getenv()));
        Priming.register(this);
    }

    public ResourcePoliciesApi(Wiring wiring) {
        super(wiring);
    }

    private static Map<String, Object> view(String scope, ResourcePolicy p) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("scope", scope);
        v.put("max_concurrent_sessions", p.maxConcurrentSessions().orElse(null));
        v.put("max_total_slots", p.maxTotalSlots().map(ResourceSlots::toStrings).orElse(null));
        v.put("max_pending_sessions", p.maxPendingSessions().orElse(null));
        v.put("max_pending_slots", p.maxPendingSlots().map(ResourceSlots::toStrings).orElse(null));
        return v;
    }

    @Override
    protected APIGatewayProxyResponseEvent route(ApiRequest request, Principal caller) {
        if (request.route().equals("/resource-policies") && request.method().equals("GET")) {
            List<Map<String, Object>> items = plane.policies().list(caller).entrySet().stream()
                    .map(e -> view(e.getKey(), e.getValue())).toList();
            return ApiResponses.json(200, Map.of("items", items));
        }
        if (request.route().equals("/resource-policies/{scope}")) {
            String scope = request.pathParameter("scope");
            switch (request.method()) {
                case "GET":
                    return ApiResponses.json(200, view(scope, plane.policies().get(caller, scope)));
                case "PUT":
                    dev.sluice.core.usecase.ResourceGroupService.requireAdmin(caller);
                    return ApiResponses.json(200, view(scope, plane.policies().put(caller, scope, RequestFields.of(request.jsonBody()))));
                case "DELETE":
                    ResourcePolicy gone = plane.policies().get(caller, scope);
                    plane.policies().delete(caller, scope);
                    return ApiResponses.json(200, view(scope, gone));
                default:
                    break;
            }
        }
        return methodNotAllowed(request);
    }
}
