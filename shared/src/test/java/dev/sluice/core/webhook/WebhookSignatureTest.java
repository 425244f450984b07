package dev.sluice.core.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class WebhookSignatureTest {
    // The test vector of the Standard Webhooks specification (and of its reference libraries' tests).
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final String ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private static final long TIMESTAMP = 1614265330L;
    private static final String BODY = "{\"test\": 2432232314}";

    @Test
    void signsTheSpecificationsTestVector() {
        assertThat(WebhookSignature.sign(SECRET, ID, TIMESTAMP, BODY)).isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    @Test
    void anyChangeOfIdTimestampOrBodyChangesTheSignature() {
        String good = WebhookSignature.sign(SECRET, ID, TIMESTAMP, BODY);
        assertThat(WebhookSignature.sign(SECRET, ID + "x", TIMESTAMP, BODY)).isNotEqualTo(good);
        assertThat(WebhookSignature.sign(SECRET, ID, TIMESTAMP + 1, BODY)).isNotEqualTo(good);
        assertThat(WebhookSignature.sign(SECRET, ID, TIMESTAMP, BODY + " ")).isNotEqualTo(good);
    }

    @Test
    void duringARotationEverySecretSignsSpaceSeparatedCurrentFirst() {
        String other = WebhookSignature.secretOf(new byte[32]);
        String header = WebhookSignature.header(List.of(other, SECRET), ID, TIMESTAMP, BODY);
        assertThat(header.split(" ")).containsExactly(WebhookSignature.sign(other, ID, TIMESTAMP, BODY),
                "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    @Test
    void secretsAreWhsecPrefixedBase64OfEnoughRandomBytes() {
        byte[] bytes = new byte[24];
        bytes[0] = 7;
        assertThat(WebhookSignature.secretOf(bytes)).startsWith("whsec_").hasSize("whsec_".length() + 32);
        assertThatThrownBy(() -> WebhookSignature.secretOf(new byte[16])).isInstanceOf(IllegalArgumentException.class);
    }
}
