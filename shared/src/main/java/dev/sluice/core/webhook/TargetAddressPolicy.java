package dev.sluice.core.webhook;

import dev.sluice.core.error.DomainException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Which webhook targets Sluice will call (server-side request forgery guard). A target must be an absolute https URL
 * (http only in local mode) without credentials, and every address its host resolves to must be public: no loopback
 * (allowed in local mode only, so tests can run a receiver), private (10/8, 172.16/12, 192.168/16, fc00::/7),
 * link-local (169.254/16 with the 169.254.169.254 metadata service, fe80::/10, fd00:ec2::254), CGNAT (100.64/10),
 * "this network" (0/8), multicast, broadcast, unspecified or reserved (240/4) address. The check runs at creation
 * and again at every delivery, and the delivery connects to the address that was checked.
 */
public final class TargetAddressPolicy {
    public static final int MAX_URL_LENGTH = 2048;
    private final boolean localMode;

    public TargetAddressPolicy(boolean localMode) {
        this.localMode = localMode;
    }

    public boolean localMode() {
        return localMode;
    }

    /** A target URL that passed the syntactic rules. */
    public record Target(URI uri, String host, int port, boolean https) {
    }

    /** The syntactic rules: scheme, host, no user info, no fragment. */
    public Target parse(String field, String url) {
        if (url == null || url.isBlank() || url.length() > MAX_URL_LENGTH) {
            throw DomainException.invalid(field, "must be an absolute https URL of at most " + MAX_URL_LENGTH + " characters");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw DomainException.invalid(field, "must be an absolute https URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !(scheme.equals("http") && localMode)) {
            throw DomainException.invalid(field, localMode ? "must be an http or https URL" : "must be an https URL");
        }
        if (uri.getHost() == null || uri.getHost().isBlank()) {
            throw DomainException.invalid(field, "must name a host");
        }
        if (uri.getRawUserInfo() != null) {
            throw DomainException.invalid(field, "must not carry user credentials");
        }
        if (uri.getRawFragment() != null) {
            throw DomainException.invalid(field, "must not have a fragment");
        }
        int port = uri.getPort() >= 0 ? uri.getPort() : (scheme.equals("https") ? 443 : 80);
        String host = uri.getHost();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new Target(uri, host, port, scheme.equals("https"));
    }

    /** The first resolved address that is allowed, after checking that every one is; refusal names the field. */
    public InetAddress checkAddresses(String field, String host, List<InetAddress> addresses) {
        if (addresses.isEmpty()) {
            throw DomainException.invalid(field, "names the host " + host + ", which does not resolve");
        }
        for (InetAddress a : addresses) {
            refusal(a).ifPresent(why -> {
                throw DomainException.invalid(field, "must not resolve to a " + why + " address (" + host + " -> " + a.getHostAddress() + ")");
            });
        }
        return addresses.get(0);
    }

    /** Why an address is refused; empty when it is allowed. */
    public Optional<String> refusal(InetAddress a) {
        if (a.isLoopbackAddress()) {
            return localMode ? Optional.empty() : Optional.of("loopback");
        }
        if (a.isAnyLocalAddress()) {
            return Optional.of("unspecified");
        }
        if (a.isMulticastAddress()) {
            return Optional.of("multicast");
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            return refusalV4(b);
        }
        if (a instanceof Inet6Address) {
            if (isV4Mapped(b) || isV4Compatible(b) || isNat64(b)) {
                byte[] v4 = new byte[]{b[12], b[13], b[14], b[15]};
                Optional<String> inner = v4[0] == 127 ? Optional.of("loopback") : refusalV4(v4);
                return inner.isPresent() ? inner : Optional.empty();
            }
            int first = b[0] & 0xff;
            if ((first & 0xfe) == 0xfc) {
                // fc00::/7 unique local; fd00:ec2::254 (the EC2 metadata service over IPv6) is inside it
                return Optional.of("private");
            }
            if (first == 0xfe && (b[1] & 0xc0) == 0x80) {
                return Optional.of("link-local");
            }
            if (first == 0xfe && (b[1] & 0xc0) == 0xc0) {
                return Optional.of("private (site-local)");
            }
            if (first == 0x20 && (b[1] & 0xff) == 0x01 && b[2] == 0x0d && (b[3] & 0xff) == 0xb8) {
                return Optional.of("reserved (documentation)");
            }
            return Optional.empty();
        }
        return Optional.of("unknown");
    }

    private static Optional<String> refusalV4(byte[] b) {
        int o0 = b[0] & 0xff;
        int o1 = b[1] & 0xff;
        if (o0 == 127) {
            return Optional.of("loopback");
        }
        if (o0 == 169 && o1 == 254) {
            return Optional.of((b[2] & 0xff) == 169 && (b[3] & 0xff) == 254 ? "cloud metadata (link-local)" : "link-local");
        }
        if (o0 == 10 || (o0 == 172 && (o1 & 0xf0) == 16) || (o0 == 192 && o1 == 168)) {
            return Optional.of("private");
        }
        if (o0 == 100 && (o1 & 0xc0) == 64) {
            return Optional.of("carrier-grade NAT (shared)");
        }
        if (o0 == 0) {
            return Optional.of("\"this network\" (0.0.0.0/8)");
        }
        if (o0 >= 224) {
            return Optional.of(o0 < 240 ? "multicast" : "reserved or broadcast");
        }
        if (o0 == 192 && o1 == 0 && (b[2] & 0xff) == 0) {
            return Optional.of("reserved (IETF protocol assignments)");
        }
        if (o0 == 198 && (o1 & 0xfe) == 18) {
            return Optional.of("reserved (benchmarking)");
        }
        return Optional.empty();
    }

    private static boolean isV4Mapped(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
    }

    private static boolean isV4Compatible(byte[] b) {
        for (int i = 0; i < 12; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean isNat64(byte[] b) {
        return (b[0] & 0xff) == 0x00 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b
                && b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] == 0 && b[8] == 0 && b[9] == 0 && b[10] == 0 && b[11] == 0;
    }
}
