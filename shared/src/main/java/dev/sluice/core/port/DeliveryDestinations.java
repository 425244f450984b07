package dev.sluice.core.port;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Where a queued delivery goes now: the subscription's (or the session callback's) current URL and secrets. */
public interface DeliveryDestinations {
    record Destination(String url, String owner, List<String> secrets) {
    }

    /** Empty when the subscription (or the callback) no longer exists: the delivery is dropped. */
    Optional<Destination> find(String subscriptionId, Instant now);
}
