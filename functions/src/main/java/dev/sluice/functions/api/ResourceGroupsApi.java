package dev.sluice.functions.api;

import dev.sluice.core.request.RequestFields;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import dev.sluice.adapters.Wiring;
import dev.sluice.core.auth.Principal;
import dev.sluice.core.usecase.ResourceGroupService;
import dev.sluice.functions.Priming;
import dev.sluice.functions.http.ApiHandler;
import dev.sluice.functions.http.ApiRequest;
import dev.sluice.functions.http.ApiResponses;
import java.util.Map;

/**
 * Resource groups: anyone lists and reads the groups they may use; admins create, replace, update and deactivate them,
 * and read and replace a group's instance catalog ({@code /resource-groups/{name}/fleet}).
 */
public final class ResourceGroupsApi extends ApiHandler {

    public ResourceGroupsApi() {
        this(Wiring.fromEnvironment(System.getenv()));
        Priming.register(this);
    }

    public ResourceGroupsApi(Wiring wiring) {
        super(wiring);
    }

    @Override
    protected APIGatewayProxyResponseEvent route(ApiRequest request, Principal caller) {
        ResourceGroupService groups = plane.resourceGroups();
        if (request.isMutating()) {
            ResourceGroupService.requireAdmin(caller);
        }
        if (request.route().equals("/resource-groups")) {
            if (request.method().equals("GET")) {
                return ApiResponses.json(200, Map.of("items", groups.list(caller).stream().map(Views::resourceGroup).toList()));
            }
            if (request.method().equals("POST")) {
                return ApiResponses.json(201, Views.resourceGroup(groups.create(caller, RequestFields.of(request.jsonBody()))));
            }
        }
        if (request.route().equals("/resource-groups/{name}")) {
            String name = request.pathParameter("name");
            switch (request.method()) {
                case "GET":
                    return ApiResponses.json(200, Views.resourceGroup(groups.get(caller, name)));
                case "PUT": {
                    ResourceGroupService.Written w = groups.put(caller, name, RequestFields.of(request.jsonBody()));
                    return ApiResponses.json(w.created() ? 201 : 200, Views.resourceGroup(w.group()));
                }
                case "PATCH":
                    return ApiResponses.json(200, Views.resourceGroup(groups.update(caller, name, RequestFields.of(request.jsonBody()))));
                case "DELETE":
                    return ApiResponses.json(200, Views.resourceGroup(groups.deactivate(caller, name)));
                default:
                    break;
            }
        }
        if (request.route().equals("/resource-groups/{name}/fleet")) {
            String name = request.pathParameter("name");
            switch (request.method()) {
                case "GET":
                    return ApiResponses.json(200, Views.fleet(name, groups.fleet(caller, name)));
                case "PUT":
                    return ApiResponses.json(200, Views.fleet(name, groups.putFleet(caller, name, RequestFields.of(request.jsonBody()))));
                default:
                    break;
            }
        }
        return methodNotAllowed(request);
    }
}
