package dev.sluice.core.port;

import dev.sluice.core.webhook.DeliveryResult;
import java.net.InetAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;

/** Network side of webhooks: name resolution and one POST to an already-checked address. */
public interface WebhookTransport {
    List<InetAddress> resolve(String host) throws java.net.UnknownHostException;

    /** POSTs {@code body} to {@code url} by connecting to {@code address} (never re-resolving), following no redirect. */
    DeliveryResult post(URI url, InetAddress address, Map<String, String> headers, String body);
}
