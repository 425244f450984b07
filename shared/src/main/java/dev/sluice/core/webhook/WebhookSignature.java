package dev.sluice.core.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): {@code v1,<base64 HMAC-SHA256 of
 * "id.timestamp.body">} keyed with the base64 bytes after {@code whsec_}. Several secrets (during a rotation's grace
 * period) give several space-separated signatures; a receiver accepts the delivery if any one verifies.
 */
public final class WebhookSignature {
    public static final String SECRET_PREFIX = "whsec_";

    private WebhookSignature() {
    }

    public static String sign(String secret, String webhookId, long timestampSeconds, String body) {
        byte[] key = keyBytes(secret);
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            byte[] digest = mac.doFinal((webhookId + "." + timestampSeconds + "." + body).getBytes(StandardCharsets.UTF_8));
            return "v1," + Base64.getEncoder().encodeToString(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    }

    /** The {@code webhook-signature} header value for every secret currently valid. */
    public static String header(List<String> secrets, String webhookId, long timestampSeconds, String body) {
        return secrets.stream().map(s -> sign(s, webhookId, timestampSeconds, body)).collect(Collectors.joining(" "));
    }

    /** A new secret from the given random bytes (24 to 64 of them). */
    public static String secretOf(byte[] random) {
        if (random.length < 24 || random.length > 64) {
            throw new IllegalArgumentException("a webhook secret needs 24 to 64 random bytes");
        }
        return SECRET_PREFIX + Base64.getEncoder().encodeToString(random);
    }

    private static byte[] keyBytes(String secret) {
        String b64 = secret.startsWith(SECRET_PREFIX) ? secret.substring(SECRET_PREFIX.length()) : secret;
        return Base64.getDecoder().decode(b64);
    }
}
