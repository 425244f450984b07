package dev.sluice.core.webhook;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.port.WebhookTransport;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Checks a target URL by the {@link TargetAddressPolicy}: its syntax and every address its host resolves to now. */
public final class WebhookTargets {
    private final TargetAddressPolicy policy;
    private final WebhookTransport transport;

    public WebhookTargets(TargetAddressPolicy policy, WebhookTransport transport) {
        this.policy = policy;
        this.transport = transport;
    }

    /** A target whose host resolved, and the allowed address to connect to. */
    public record Checked(TargetAddressPolicy.Target target, InetAddress address) {
    }

    public Checked check(String field, String url) {
        TargetAddressPolicy.Target target = policy.parse(field, url);
        java.util.List<InetAddress> addresses;
        try {
            addresses = transport.resolve(target.host());
        } catch (UnknownHostException e) {
            throw DomainException.invalid(field, "names the host " + target.host() + ", which does not resolve");
        }
        return new Checked(target, policy.checkAddresses(field, target.host(), addresses));
    }
}
