package dev.sluice.functions.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The agent id comes from the verified caller: on AWS the instance role's session name, checked against the role. */
class AgentIdentityTest {
    private final AgentIdentity iam = new AgentIdentity("iam", "sluice-AgentRole-ABC", null);

    private static APIGatewayProxyRequestEvent signedBy(String userArn) {
        APIGatewayProxyRequestEvent.RequestIdentity identity = new APIGatewayProxyRequestEvent.RequestIdentity();
        identity.setUserArn(userArn);
        APIGatewayProxyRequestEvent.ProxyRequestContext context = new APIGatewayProxyRequestEvent.ProxyRequestContext();
        context.setIdentity(identity);
        return new APIGatewayProxyRequestEvent().withRequestContext(context);
    }

    @Test
    void theInstanceIdIsTheRoleSessionNameOfTheAgentsRole() {
        assertThat(iam.agentId(signedBy("arn:aws:sts::123456789012:assumed-role/sluice-AgentRole-ABC/i-0123456789abcdef0"),
                Optional.empty())).isEqualTo("i-0123456789abcdef0");
    }

    @Test
    void anotherRoleAUserOrNoSignatureIsRefused() {
        assertCode(signedBy("arn:aws:sts::123456789012:assumed-role/SomeOtherRole/i-0123"), ErrorCode.FORBIDDEN);
        assertCode(signedBy("arn:aws:iam::123456789012:user/alice"), ErrorCode.UNAUTHENTICATED);
        assertCode(signedBy("arn:aws:sts::123456789012:assumed-role/sluice-AgentRole-ABC/i-01/extra"), ErrorCode.UNAUTHENTICATED);
        assertCode(new APIGatewayProxyRequestEvent(), ErrorCode.UNAUTHENTICATED);
    }

    @Test
    void onlyKnownModesAreAccepted() {
        assertThatThrownBy(() -> new AgentIdentity("none", "", null)).isInstanceOf(IllegalStateException.class);
    }

    private void assertCode(APIGatewayProxyRequestEvent event, ErrorCode code) {
        assertThatThrownBy(() -> iam.agentId(event, Optional.of("Bearer x")))
                .isInstanceOf(DomainException.class)
                .satisfies(e -> assertThat(((DomainException) e).code()).isEqualTo(code));
    }
}
