package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.adapters.webhook.PinnedHttpTransport;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.webhook.TargetAddressPolicy;
import dev.sluice.core.webhook.WebhookTargets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Server-side request forgery: the API refuses targets that are (or resolve to) private, link-local, metadata or
 * other internal addresses, naming the field, and creates nothing. Loopback is allowed only in local mode: the
 * stack under test is in local mode, so the non-local rules are checked here with the real system resolver too.
 */
class WebhookSafetyIT {

    @ParameterizedTest
    @ValueSource(strings = {"http://169.254.169.254/latest/meta-data/", "https://169.254.169.254/", "http://10.0.0.5/hook",
            "http://172.16.3.4/hook", "http://192.168.1.10/hook", "http://100.64.0.1/hook", "http://0.0.0.0/hook",
            "http://[fd00:ec2::254]/hook", "http://[fe80::1]/hook", "http://[::ffff:169.254.169.254]/hook",
            "http://[fc00::1]/hook", "http://224.0.0.1/hook", "ftp://127.0.0.1/hook", "https://user:pw@127.0.0.1/hook",
            "127.0.0.1/hook", "http:///hook", "https://no-such-host.invalid/hook"})
    void unsafeTargetsAreRefusedAndNothingIsCreated(String url) throws Exception {
        LocalStack local = LocalStack.get();
        ApiClient api = new ApiClient(local.apiUrl);
        String token = local.token("wh-ssrf");
        int before = api.get("/webhooks", token).json().path("items").size();
        ApiClient.Reply r = api.post("/webhooks", token, "{\"url\":\"" + url + "\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(422);
        assertThat(r.errorField()).isEqualTo("url");
        assertThat(api.get("/webhooks", token).json().path("items")).hasSize(before);

        ApiClient.Reply session = api.post("/sessions", token, "{\"image\":\"python:3.12\",\"resource_slots\":{\"cpu\":1},"
                + "\"callback_url\":\"" + url + "\"}");
        assertThat(session.status()).as(session.body()).isEqualTo(422);
        assertThat(session.errorField()).isEqualTo("callback_url");
    }

    @Test
    void badSubscriptionFieldsAreRefusedNamingTheField() throws Exception {
        LocalStack local = LocalStack.get();
        ApiClient api = new ApiClient(local.apiUrl);
        String token = local.token("wh-fields");
        String url = "http://127.0.0.1:9/hook";
        assertThat(api.post("/webhooks", token, "{\"url\":\"" + url + "\",\"event_types\":[\"session.created\"]}").errorField())
                .isEqualTo("event_types[0]");
        assertThat(api.post("/webhooks", token, "{\"url\":\"" + url + "\",\"event_types\":[]}").errorField()).isEqualTo("event_types");
        assertThat(api.post("/webhooks", token, "{\"url\":\"" + url + "\",\"filter\":{\"statuses\":[\"DONE\"]}}").errorField())
                .isEqualTo("filter.statuses[0]");
        assertThat(api.post("/webhooks", token, "{\"url\":\"" + url + "\",\"filter\":{\"colour\":[\"red\"]}}").errorField())
                .isEqualTo("filter.colour");
        assertThat(api.post("/webhooks", token, "{\"url\":\"" + url + "\",\"secret\":\"mine\"}").errorField()).isEqualTo("secret");
        assertThat(api.post("/webhooks", token, "{}").errorField()).isEqualTo("url");
        assertThat(api.get("/webhooks", token).json().path("items")).isEmpty();
        String id = api.post("/webhooks", token, "{\"url\":\"" + url + "\"}").json().path("id").asText();
        assertThat(api.post("/webhooks/" + id + "/rotate-secret", token, "{\"grace_period\":\"30d\"}").errorField())
                .isEqualTo("grace_period");
        assertThat(api.get("/webhooks/" + id + "/deliveries?limit=0", token).errorField()).isEqualTo("limit");
        assertThat(api.call("PATCH", "/webhooks/" + id, token, "{\"url\":\"http://10.1.2.3/\"}", java.util.Map.of()).errorField())
                .isEqualTo("url");
        assertThat(api.get("/webhooks/" + id, token).json().path("url").asText()).as("a refused update changes nothing").isEqualTo(url);
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://localhost/hook", "https://vm/hook", "https://127.0.0.1/hook", "https://[::1]/hook",
            "http://example.com/hook"})
    void outsideLocalModeLoopbackNamesAndHttpAreRefusedThroughTheSystemResolver(String url) {
        WebhookTargets production = new WebhookTargets(new TargetAddressPolicy(false), PinnedHttpTransport.standard());
        assertThatThrownBy(() -> production.check("url", url)).isInstanceOfSatisfying(DomainException.class,
                e -> assertThat(e.field()).contains("url"));
    }

    @Test
    void racingCreatesNeverPassTheCapOf25PerUserAndADeleteFreesASlot() throws Exception {
        LocalStack local = LocalStack.get();
        ApiClient api = new ApiClient(local.apiUrl);
        String token = local.token("wh-cap-" + java.util.UUID.randomUUID().toString().substring(0, 6));
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        java.util.List<java.util.concurrent.Future<ApiClient.Reply>> replies = new java.util.ArrayList<>();
        for (int i = 0; i < 30; i++) {
            replies.add(pool.submit(() -> api.post("/webhooks", token, "{\"url\":\"http://127.0.0.1:9/cap\"}")));
        }
        java.util.Map<Integer, Integer> byStatus = new java.util.TreeMap<>();
        for (var r : replies) {
            byStatus.merge(r.get().status(), 1, Integer::sum);
        }
        pool.shutdown();
        assertThat(byStatus).isEqualTo(java.util.Map.of(201, 25, 409, 5));
        var items = api.get("/webhooks", token).json().path("items");
        assertThat(items).hasSize(25);
        ApiClient.Reply refused = api.post("/webhooks", token, "{\"url\":\"http://127.0.0.1:9/cap\"}");
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.body()).contains("25");
        assertThat(api.call("DELETE", "/webhooks/" + items.get(0).path("id").asText(), token, null, java.util.Map.of()).status()).isEqualTo(200);
        assertThat(api.post("/webhooks", token, "{\"url\":\"http://127.0.0.1:9/cap\"}").status()).isEqualTo(201);
    }

    @Test
    void aSecretIsShownOnceAndNeverKeptForIdempotentReplays() throws Exception {
        LocalStack local = LocalStack.get();
        ApiClient api = new ApiClient(local.apiUrl);
        String token = local.token("webhook-once-" + java.util.UUID.randomUUID().toString().substring(0, 6));
        String key = "create-" + java.util.UUID.randomUUID();
        String body = "{\"url\":\"http://127.0.0.1:9/hook\"}";
        ApiClient.Reply first = api.call("POST", "/webhooks", token, body, java.util.Map.of("Idempotency-Key", key));
        assertThat(first.status()).as(first.body()).isEqualTo(201);
        String secret = first.json().path("secret").asText();
        assertThat(secret).startsWith("whsec_");
        ApiClient.Reply replay = api.call("POST", "/webhooks", token, body, java.util.Map.of("Idempotency-Key", key));
        assertThat(replay.status()).isEqualTo(201);
        assertThat(replay.json().path("id").asText()).isEqualTo(first.json().path("id").asText());
        assertThat(replay.json().path("secret").isNull()).isTrue();
        assertThat(replay.json().path("secret_withheld").asBoolean()).isTrue();
        try (var dynamo = software.amazon.awssdk.services.dynamodb.DynamoDbClient.builder().build()) {
            String table = local.functionEnvironment().get("IDEMPOTENCY_TABLE");
            assertThat(dynamo.scan(b -> b.tableName(table)).items().toString()).doesNotContain(secret);
        }
    }

    @Test
    void racingRetriesWithOneIdempotencyKeyCreateOneSubscription() throws Exception {
        LocalStack local = LocalStack.get();
        ApiClient api = new ApiClient(local.apiUrl);
        String token = local.token("webhook-race-" + java.util.UUID.randomUUID().toString().substring(0, 6));
        String key = "race-" + java.util.UUID.randomUUID();
        String body = "{\"url\":\"http://127.0.0.1:9/race\"}";
        int racers = 6;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(racers);
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(racers);
        java.util.List<java.util.concurrent.Future<ApiClient.Reply>> replies = new java.util.ArrayList<>();
        for (int i = 0; i < racers; i++) {
            replies.add(pool.submit(() -> {
                start.await();
                return api.call("POST", "/webhooks", token, body, java.util.Map.of("Idempotency-Key", key));
            }));
        }
        java.util.Set<String> ids = new java.util.HashSet<>();
        int created = 0;
        for (var f : replies) {
            ApiClient.Reply r = f.get();
            assertThat(r.status()).as("the first answer, or 'still running' for a retry that could not wait: " + r.body()).isIn(201, 409);
            if (r.status() == 201) {
                created++;
                ids.add(r.json().path("id").asText());
            } else {
                assertThat(r.errorField()).isEqualTo("Idempotency-Key");
            }
        }
        pool.shutdown();
        assertThat(created).isPositive();
        assertThat(ids).as("every answer names the one subscription").hasSize(1);
        assertThat(api.get("/webhooks", token).json().path("items")).as("one effect").hasSize(1);
        assertThat(api.call("POST", "/webhooks", token, body, java.util.Map.of("Idempotency-Key", key)).json().path("id").asText())
                .isEqualTo(ids.iterator().next());
    }

    @Test
    void aFailedCallGivesItsIdempotencyKeyBackSoARetryRunsAgain() throws Exception {
        LocalStack local = LocalStack.get();
        ApiClient api = new ApiClient(local.apiUrl);
        String token = local.token("webhook-retry-" + java.util.UUID.randomUUID().toString().substring(0, 6));
        String key = "retry-" + java.util.UUID.randomUUID();
        ApiClient.Reply refused = api.call("POST", "/webhooks", token, "{\"url\":\"http://10.0.0.1/hook\"}", java.util.Map.of("Idempotency-Key", key));
        assertThat(refused.status()).as(refused.body()).isEqualTo(422);
        ApiClient.Reply again = api.call("POST", "/webhooks", token, "{\"url\":\"http://10.0.0.1/hook\"}", java.util.Map.of("Idempotency-Key", key));
        assertThat(again.status()).as("the refusal was not kept as the key's answer: the call ran again").isEqualTo(422);
        assertThat(api.call("POST", "/webhooks", token, "{\"url\":\"http://127.0.0.1:9/fixed\"}", java.util.Map.of("Idempotency-Key", key))
                .status()).as("same key, other body, after a failure: allowed, since nothing was kept").isEqualTo(201);
    }
}
