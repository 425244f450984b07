package dev.sluice.local;

import dev.sluice.adapters.aws.AwsClients;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.cognitoidentityprovider.CognitoIdentityProviderClient;
import software.amazon.awssdk.services.cognitoidentityprovider.model.AuthFlowType;
import software.amazon.awssdk.services.cognitoidentityprovider.model.MessageActionType;
import software.amazon.awssdk.services.cognitoidentityprovider.model.UsernameExistsException;

/**
 * Local users in the stack's own Cognito user pool (run by the emulator): the same pool, groups and RS256 tokens
 * as on AWS, so the API Gateway authorizer and the handlers' own token checks are exercised for real.
 */
public final class LocalUsers {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final CognitoIdentityProviderClient cognito;
    private final String poolId;
    private final String clientId;

    public LocalUsers(String poolId, String clientId) {
        this.cognito = CognitoIdentityProviderClient.builder().httpClient(AwsClients.httpClient()).build();
        this.poolId = poolId;
        this.clientId = clientId;
    }

    public static LocalUsers of(LocalDeployer.DeployedStack stack) {
        return new LocalUsers(stack.outputs().get("UserPoolId"), stack.outputs().get("UserPoolClientId"));
    }

    /** Makes sure the user exists in the given groups and returns a fresh ID token for them. */
    public String token(String username, List<String> groups) {
        try {
            cognito.adminCreateUser(b -> b.userPoolId(poolId).username(username).messageAction(MessageActionType.SUPPRESS));
        } catch (UsernameExistsException ignored) {
            // already there: a new password and token are all we need
        }
        byte[] secret = new byte[18];
        RANDOM.nextBytes(secret);
        String password = "Sl-" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret) + "9a";
        cognito.adminSetUserPassword(b -> b.userPoolId(poolId).username(username).password(password).permanent(true));
        for (String group : groups) {
            cognito.adminAddUserToGroup(b -> b.userPoolId(poolId).username(username).groupName(group));
        }
        return cognito.initiateAuth(b -> b.clientId(clientId).authFlow(AuthFlowType.USER_PASSWORD_AUTH)
                        .authParameters(Map.of("USERNAME", username, "PASSWORD", password)))
                .authenticationResult().idToken();
    }
}
