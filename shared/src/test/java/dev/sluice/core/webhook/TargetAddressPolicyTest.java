package dev.sluice.core.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.port.WebhookTransport;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class TargetAddressPolicyTest {
    private static final TargetAddressPolicy PRODUCTION = new TargetAddressPolicy(false);
    private static final TargetAddressPolicy LOCAL = new TargetAddressPolicy(true);

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal); // a literal: no DNS lookup
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.9.9.9", "::1", "10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.255",
            "192.168.0.1", "169.254.169.254", "169.254.0.1", "100.64.0.1", "100.127.255.255", "0.0.0.0", "0.1.2.3",
            "224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1", "fc00::1", "fd00:ec2::254", "fe80::1", "fec0::1",
            "::", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "ff02::1", "192.0.0.8", "198.18.0.1",
            "2001:db8::1"})
    void internalAddressesAreRefusedOutsideLocalMode(String literal) {
        assertThat(PRODUCTION.refusal(ip(literal))).as(literal).isPresent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"93.184.216.34", "8.8.8.8", "172.15.255.255", "172.32.0.1", "100.63.255.255", "100.128.0.1",
            "192.169.0.1", "169.253.255.255", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e"})
    void publicAddressesAreAllowed(String literal) {
        assertThat(PRODUCTION.refusal(ip(literal))).as(literal).isEmpty();
    }

    @Test
    void localModeAllowsLoopbackOnlyAndNothingElseInternal() {
        assertThat(LOCAL.refusal(ip("127.0.0.1"))).isEmpty();
        assertThat(LOCAL.refusal(ip("::1"))).isEmpty();
        assertThat(LOCAL.refusal(ip("169.254.169.254"))).contains("cloud metadata (link-local)");
        assertThat(LOCAL.refusal(ip("10.1.2.3"))).contains("private");
        assertThat(LOCAL.refusal(ip("fd00:ec2::254"))).contains("private");
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://example.com/x", "ftp://example.com/x", "example.com/x", "https:///x", "https://u:p@example.com/x",
            "https://example.com/x#frag", "not a url", ""})
    void onlyPlainHttpsUrlsPassOutsideLocalMode(String url) {
        assertThatThrownBy(() -> PRODUCTION.parse("url", url)).isInstanceOfSatisfying(DomainException.class,
                e -> assertThat(e.field()).contains("url"));
    }

    @Test
    void localModeAlsoAcceptsHttp() {
        assertThat(LOCAL.parse("url", "http://127.0.0.1:8080/hook").port()).isEqualTo(8080);
        assertThat(PRODUCTION.parse("url", "https://example.com/hook").port()).isEqualTo(443);
        assertThat(PRODUCTION.parse("url", "https://[2606:4700::1]/hook").host()).isEqualTo("2606:4700::1");
    }

    /** A resolver that answers from a table, for names that must resolve to a given address. */
    static final class TableResolver implements WebhookTransport {
        final Map<String, List<List<InetAddress>>> answers;
        final List<String> asked = new ArrayList<>();

        TableResolver(Map<String, List<List<InetAddress>>> answers) {
            this.answers = answers;
        }

        @Override
        public List<InetAddress> resolve(String host) throws UnknownHostException {
            asked.add(host);
            List<List<InetAddress>> queue = answers.get(host);
            if (queue == null) {
                throw new UnknownHostException(host);
            }
            int seen = (int) asked.stream().filter(host::equals).count();
            return queue.get(Math.min(seen, queue.size()) - 1);
        }

        @Override
        public DeliveryResult post(URI url, InetAddress address, Map<String, String> headers, String body) {
            throw new AssertionError("no POST expected");
        }
    }

    @Test
    void aHostnameThatResolvesToAnInternalAddressIsRefusedNamingIt() {
        TableResolver dns = new TableResolver(Map.of(
                "metadata.attacker.example", List.of(List.of(ip("169.254.169.254"))),
                "intranet.attacker.example", List.of(List.of(ip("93.184.216.34"), ip("10.0.0.7"))),
                "v6.attacker.example", List.of(List.of(ip("fd00:ec2::254"))),
                "hooks.example", List.of(List.of(ip("93.184.216.34")))));
        WebhookTargets targets = new WebhookTargets(PRODUCTION, dns);
        assertThatThrownBy(() -> targets.check("url", "https://metadata.attacker.example/x")).hasMessageContaining("169.254.169.254");
        assertThatThrownBy(() -> targets.check("url", "https://intranet.attacker.example/x"))
                .as("one internal address among public ones is enough to refuse").hasMessageContaining("10.0.0.7");
        assertThatThrownBy(() -> targets.check("url", "https://v6.attacker.example/x")).hasMessageContaining("private");
        assertThatThrownBy(() -> targets.check("url", "https://unknown.example/x")).hasMessageContaining("does not resolve");
        assertThat(targets.check("url", "https://hooks.example/x").address()).isEqualTo(ip("93.184.216.34"));
    }
}
