package dev.sluice.functions.api;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.core.auth.Principal;
import dev.sluice.core.usecase.ResourceGroupService;
import dev.sluice.functions.http.ApiHandler;
import dev.sluice.functions.http.ApiRequest;
import dev.sluice.functions.http.ApiResponses;

/** {@code PUT /resource-groups/{name}} (admin) and {@code GET /resource-groups/{name}}. */
public final class ResourceGroupsApi extends ApiHandler {

    public ResourceGroupsApi() {
        this(ControlPlane.fromEnvironment(System.getenv()));
    }

    public ResourceGroupsApi(ControlPlane plane) {
        super(plane);
    }

    @Override
    protected APIGatewayProxyResponseEvent route(ApiRequest request, Principal caller) {
        if (request.route().equals("/resource-groups/{name}")) {
            String name = request.pathParameter("name");
            if (request.method().equals("PUT")) {
                ResourceGroupService.requireAdmin(caller);
                ResourceGroupService.Written w = plane.resourceGroups().put(caller, name, request.jsonBody());
                return ApiResponses.json(w.created() ? 201 : 200, Views.resourceGroup(w.group()));
            }
            if (request.method().equals("GET")) {
                return ApiResponses.json(200, Views.resourceGroup(plane.resourceGroups().get(caller, name)));
            }
        }
        return methodNotAllowed(request);
    }
}
