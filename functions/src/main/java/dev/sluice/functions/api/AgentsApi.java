package dev.sluice.functions.api;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import dev.sluice.adapters.Wiring;
import dev.sluice.core.auth.Principal;
import dev.sluice.functions.Priming;
import dev.sluice.functions.http.ApiHandler;
import dev.sluice.functions.http.ApiRequest;
import dev.sluice.functions.http.ApiResponses;
import java.util.Map;
import java.util.Optional;

/** Admin views of the agents, with capacity and occupancy. */
public final class AgentsApi extends ApiHandler {

    public AgentsApi() {
        this(Wiring.fromEnvironment(System.getenv()));
        Priming.register(this);
    }

    public AgentsApi(Wiring wiring) {
        super(wiring);
    }

    @Override
    protected APIGatewayProxyResponseEvent route(ApiRequest request, Principal caller) {
        if (request.method().equals("GET") && request.route().equals("/agents")) {
            Optional<String> group = Optional.ofNullable(request.queryParameters().get("resource_group"));
            return ApiResponses.json(200, Map.of("items", plane.agents().list(caller, group).stream().map(Views::agent).toList()));
        }
        if (request.method().equals("GET") && request.route().equals("/agents/{id}")) {
            return ApiResponses.json(200, Views.agent(plane.agents().get(caller, request.pathParameter("id"))));
        }
        if (request.method().equals("PATCH") && request.route().equals("/agents/{id}")) {
            return ApiResponses.json(200, Views.agent(plane.agentWork().setSchedulable(caller, request.pathParameter("id"),
                    dev.sluice.core.request.RequestFields.of(request.jsonBody()))));
        }
        return methodNotAllowed(request);
    }
}
