package dev.sluice.functions.api;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.core.auth.Principal;
import dev.sluice.core.usecase.SessionService;
import dev.sluice.functions.http.ApiHandler;
import dev.sluice.functions.http.ApiRequest;
import dev.sluice.functions.http.ApiResponses;

/** {@code POST /sessions} and {@code GET /sessions/{id}}. */
public final class SessionsApi extends ApiHandler {

    public SessionsApi() {
        this(ControlPlane.fromEnvironment(System.getenv()));
    }

    public SessionsApi(ControlPlane plane) {
        super(plane);
    }

    @Override
    protected APIGatewayProxyResponseEvent route(ApiRequest request, Principal caller) {
        switch (request.route()) {
            case "/sessions":
                if (request.method().equals("POST")) {
                    SessionService.Created created = plane.sessions().create(caller, request.jsonBody(), request.idempotencyKey());
                    return ApiResponses.json(created.replayed() ? 200 : 201, Views.session(created.session()));
                }
                break;
            case "/sessions/{id}":
                if (request.method().equals("GET")) {
                    return ApiResponses.json(200, Views.session(plane.sessions().get(caller, request.pathParameter("id"))));
                }
                break;
            default:
                break;
        }
        return methodNotAllowed(request);
    }
}
