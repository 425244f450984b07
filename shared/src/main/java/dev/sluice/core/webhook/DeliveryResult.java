package dev.sluice.core.webhook;

import java.util.Optional;

/** The answer of one POST to a receiver: 2xx is delivered; anything else (or no answer) is retried. */
public record DeliveryResult(Optional<Integer> statusCode, long latencyMillis, Optional<String> error) {

    public boolean delivered() {
        return statusCode.isPresent() && statusCode.get() >= 200 && statusCode.get() < 300;
    }

    public static DeliveryResult failed(String error, long latencyMillis) {
        return new DeliveryResult(Optional.empty(), latencyMillis, Optional.of(error));
    }
}
