package dev.sluice.adapters.aws;

import dev.sluice.core.usecase.CursorSeal;
import java.util.Map;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * The listing cursors' HMAC key on AWS: the secret the stack generates (CursorKeySecret in template.yaml, its ARN in
 * {@code CURSOR_KEY_SECRET_ARN}), read from Secrets Manager once per container, when a cursor is first sealed or
 * opened (never while SnapStart primes: a priming answer is made up, so it is used once and not kept).
 */
public final class CursorKeySecret {
    private static volatile String read;

    private CursorKeySecret() {
    }

    /** Installs the secret as CursorSeal's key when the environment names one; otherwise CursorSeal's own stands. */
    public static void install(Map<String, String> env) {
        String arn = env.get("CURSOR_KEY_SECRET_ARN");
        if (arn == null || arn.isBlank()) {
            return;
        }
        CursorSeal.keyFrom(() -> material(arn));
    }

    private static String material(String arn) {
        String known = read;
        if (known != null) {
            return known;
        }
        if (Offline.active()) {
            return "priming";
        }
        synchronized (CursorKeySecret.class) {
            if (read == null) {
                try (SecretsManagerClient client = SecretsManagerClient.builder().httpClient(AwsClients.httpClient())
                        .credentialsProvider(AwsClients.credentials()).build()) {
                    String value = client.getSecretValue(b -> b.secretId(arn)).secretString();
                    if (value == null || value.isEmpty()) {
                        throw new IllegalStateException("the cursor key secret " + arn + " is empty");
                    }
                    read = value;
                }
            }
            return read;
        }
    }
}
