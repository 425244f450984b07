package dev.sluice.functions.http;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.Wiring;
import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;

/** The request frame of the user API: the caller is a verified user token (an agent's token is refused here). */
public abstract class ApiHandler extends RequestFrame<Principal> {
    protected ApiHandler(Wiring wiring) {
        super(wiring);
    }

    @Override
    protected final Principal authenticate(APIGatewayProxyRequestEvent event, ApiRequest request) {
        return user(plane, request.header("Authorization"));
    }

    /** The user an Authorization header names (the check of every user route, the task event stream's too). */
    public static Principal user(ControlPlane plane, java.util.Optional<String> authorization) {
        Principal caller = plane.tokens().verifyHeader(authorization.orElse(null));
        if (caller.isAgent()) {
            throw new DomainException(ErrorCode.FORBIDDEN, "Authorization", "The Authorization token is an agent identity, which may only use the agent API.");
        }
        return caller;
    }

    @Override
    protected final String idempotencyScope(Principal caller) {
        return "response#" + caller.subject();
    }
}
