package dev.sluice.functions.api;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import dev.sluice.adapters.auth.JwtVerifier;
import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Who is calling the agent API. On AWS the routes are IAM-authorized: API Gateway has verified the SigV4 signature,
 * and the caller is the agents' instance role, assumed by one EC2 instance whose id is the role session name
 * ({@code arn:aws:sts::<account>:assumed-role/<role>/i-0abc...}). Locally (no IAM), an agent presents a token of
 * the {@code agents} group whose user name is its id. Either way an agent can only ever act as itself.
 */
final class AgentIdentity {
    private static final Pattern ASSUMED_ROLE = Pattern.compile("arn:aws[a-z-]*:sts::\\d{12}:assumed-role/([^/]+)/([A-Za-z0-9._-]{1,128})");
    private static final Pattern AGENT_ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    private final String mode;
    private final String roleName;
    private final JwtVerifier tokens;

    AgentIdentity(String mode, String roleName, JwtVerifier tokens) {
        if (!mode.equals("iam") && !mode.equals("token")) {
            throw new IllegalStateException("AGENT_AUTH must be iam or token, not " + mode);
        }
        this.mode = mode;
        this.roleName = roleName;
        this.tokens = tokens;
    }

    String agentId(APIGatewayProxyRequestEvent event, Optional<String> authorization) {
        if (mode.equals("iam")) {
            String arn = event.getRequestContext() == null || event.getRequestContext().getIdentity() == null
                    ? null : event.getRequestContext().getIdentity().getUserArn();
            Matcher m = arn == null ? null : ASSUMED_ROLE.matcher(arn);
            if (m == null || !m.matches()) {
                throw new DomainException(ErrorCode.UNAUTHENTICATED, "Authorization", "Sign the request to the agent API with the agent's instance role (AWS Signature Version 4 in the Authorization header).");
            }
            if (!m.group(1).equals(roleName)) {
                throw new DomainException(ErrorCode.FORBIDDEN, "Authorization", "The Authorization signature is not the agents' instance role's; only that role may use the agent API.");
            }
            return m.group(2);
        }
        Principal caller = tokens.verifyHeader(authorization.orElse(null));
        if (!caller.isAgent()) {
            throw new DomainException(ErrorCode.FORBIDDEN, "Authorization", "The Authorization signature is not an agent's; only an agent identity may use the agent API.");
        }
        String id = caller.username();
        if (id == null || !AGENT_ID.matcher(id).matches()) {
            throw new DomainException(ErrorCode.FORBIDDEN, "Authorization", "The agent identity in the Authorization signature carries no usable agent id.");
        }
        return id;
    }
}
