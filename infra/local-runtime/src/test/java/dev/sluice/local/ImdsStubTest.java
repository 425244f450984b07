package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The IMDSv2 stub over HTTP, as the agent's poller talks to it. */
class ImdsStubTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    static HttpResponse<String> get(String url, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).GET();
        if (token != null) {
            b.header("X-aws-ec2-metadata-token", token);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> token(String base, String ttl) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/latest/api/token")).PUT(HttpRequest.BodyPublishers.noBody());
        if (ttl != null) {
            b.header("X-aws-ec2-metadata-token-ttl-seconds", ttl);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aTokenOpensTheMetadataAndTheInstanceActionAppearsOnlyOnceInterrupted() throws Exception {
        try (ImdsStub imds = ImdsStub.start("i-0123456789abcdef0", "g5.xlarge", "us-east-1b", Clock.systemUTC())) {
            String base = imds.url();
            assertThat(base).startsWith("http://127.0.0.1:");
            assertThat(get(base + "/latest/meta-data/instance-id", null).statusCode()).as("IMDSv2 only").isEqualTo(401);
            assertThat(token(base, null).statusCode()).as("no ttl").isEqualTo(400);
            assertThat(token(base, "21601").statusCode()).as("ttl over 6 h").isEqualTo(400);
            assertThat(token(base, "0").statusCode()).isEqualTo(400);
            HttpResponse<String> t = token(base, "21600");
            assertThat(t.statusCode()).isEqualTo(200);
            String token = t.body();
            assertThat(token).isNotBlank();
            assertThat(get(base + "/latest/meta-data/instance-id", "forged").statusCode()).isEqualTo(401);
            assertThat(get(base + "/latest/meta-data/instance-id", token).body()).isEqualTo("i-0123456789abcdef0");
            assertThat(get(base + "/latest/meta-data/instance-type", token).body()).isEqualTo("g5.xlarge");
            assertThat(get(base + "/latest/meta-data/placement/availability-zone", token).body()).isEqualTo("us-east-1b");
            assertThat(get(base + "/latest/meta-data/spot/instance-action", token).statusCode()).isEqualTo(404);
            assertThat(get(base + "/latest/meta-data/nothing-here", token).statusCode()).isEqualTo(404);

            imds.interrupt(Instant.parse("2026-12-03T18:02:00.750Z"));
            HttpResponse<String> action = get(base + "/latest/meta-data/spot/instance-action", token);
            assertThat(action.statusCode()).isEqualTo(200);
            assertThat(action.body()).isEqualTo("{\"action\":\"terminate\",\"time\":\"2026-12-03T18:02:00Z\"}");
            assertThat(action.headers().firstValue("Content-Type")).contains("application/json");
        }
    }

    @Test
    void anExpiredTokenIsRefused() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-12-03T18:00:00Z"));
        try (ImdsStub imds = ImdsStub.start("i-0123456789abcdef0", "g5.xlarge", "us-east-1a", clock)) {
            String token = token(imds.url(), "60").body();
            assertThat(get(imds.url() + "/latest/meta-data/instance-id", token).statusCode()).isEqualTo(200);
            clock.now = clock.now.plusSeconds(60);
            assertThat(get(imds.url() + "/latest/meta-data/instance-id", token).statusCode()).isEqualTo(401);
        }
    }

    static final class MutableClock extends Clock {
        volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
