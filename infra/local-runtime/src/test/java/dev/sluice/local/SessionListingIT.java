package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Listing, history, destroy and idempotent mutations through the API Gateway. */
class SessionListingIT {
    private static ApiClient api;
    private static LocalStack local;
    private static String group;

    @BeforeAll
    static void stack() throws Exception {
        local = LocalStack.get();
        api = new ApiClient(local.apiUrl);
        group = "list-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(api.put("/resource-groups/" + group, local.adminToken(), "{}").status()).isEqualTo(201);
    }

    private static String create(String token, String name) {
        ApiClient.Reply r = api.post("/sessions", token, "{\"name\":\"" + name + "\",\"image\":\"python:3.12\",\"resource_group\":\""
                + group + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"}}");
        assertThat(r.status()).isEqualTo(201);
        return r.json().path("id").asText();
    }

    private static List<String> allPages(String token, String query) {
        List<String> ids = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            ApiClient.Reply r = api.get("/sessions?" + query + (cursor == null ? "" : "&cursor=" + cursor), token);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            JsonNode body = r.json();
            body.path("items").forEach(s -> ids.add(s.path("id").asText()));
            cursor = body.path("next_cursor").isNull() ? null : body.path("next_cursor").asText();
            pages++;
        } while (cursor != null && pages < 50);
        return ids;
    }

    @Test
    void pagesFollowTheCursorNewestFirstOrOldestFirstWithoutGapsOrRepeats() {
        String token = local.token("lister-" + UUID.randomUUID().toString().substring(0, 6));
        List<String> created = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            created.add(create(token, "s" + i));
        }
        assertThat(allPages(token, "limit=2&order=oldest")).containsExactlyElementsOf(created);
        List<String> newest = new ArrayList<>(created);
        java.util.Collections.reverse(newest);
        assertThat(allPages(token, "limit=2")).containsExactlyElementsOf(newest);
        assertThat(allPages(token, "limit=3&name=s3")).containsExactly(created.get(3));
    }

    @Test
    void filtersByStatusRunningAndDead() {
        String token = local.token("filters-" + UUID.randomUUID().toString().substring(0, 6));
        String kept = create(token, "kept");
        String cancelled = create(token, "gone");
        assertThat(api.call("DELETE", "/sessions/" + cancelled, token, null, Map.of()).status()).isEqualTo(200);
        assertThat(allPages(token, "status=PENDING")).containsExactly(kept);
        assertThat(allPages(token, "dead=true")).containsExactly(cancelled);
        assertThat(allPages(token, "running=true")).isEmpty();
        assertThat(allPages(token, "resource_group=" + group + "&limit=1")).containsExactlyInAnyOrder(kept, cancelled);
    }

    @Test
    void anAdminListsEverybodysSessionsAcrossPages() {
        String a = create(local.token("everyone-a"), "ea");
        String b = create(local.token("everyone-b"), "eb");
        List<String> all = allPages(local.adminToken(), "all=true&resource_group=" + group + "&limit=1");
        assertThat(all).contains(a, b);
        assertThat(all.indexOf(b)).isLessThan(all.indexOf(a));
    }

    @Test
    void aCursorFromAnotherListingIsRefused() {
        assertThat(api.get("/sessions?cursor=bm9wZQ", local.token("cursor")).status()).isEqualTo(422);
    }

    private static String b64(String s) {
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * Issue #14 item 6: cursors made up or altered by a client are a 422 naming cursor, never DynamoDB's "The provided
     * starting key is invalid" as a 500; and one user's cursor does not page another user's listing.
     */
    @Test
    void forgedOrAlteredCursorsAreRefusedWith422() {
        String user = "forger-" + UUID.randomUUID().toString().substring(0, 6);
        String token = local.token(user);
        create(token, "f0");
        create(token, "f1");
        String real = api.get("/sessions?limit=1", token).json().path("next_cursor").asText();
        assertThat(real).isNotEmpty();
        String month = java.time.YearMonth.now(java.time.ZoneOffset.UTC).toString();
        List<String> forged = List.of(
                // The unsigned shapes that reached DynamoDB before: an empty sort key, a sort key of another session,
                // the index attribute of another index, a partition that is not the key's.
                b64("{\"p\":\"" + user + "\",\"k\":{\"id\":\"s-1\",\"owner\":\"" + user + "\",\"createdKey\":\"\"}}"),
                b64("{\"p\":\"" + user + "\",\"k\":{\"id\":\"s-1\",\"owner\":\"" + user + "\",\"createdKey\":\"x#s-2\"}}"),
                b64("{\"p\":\"" + month + "\",\"k\":{\"id\":\"s-1\",\"owner\":\"" + user + "\",\"createdMonth\":\"" + month + "\"}}"),
                b64("{\"p\":\"1999-01\",\"k\":{\"id\":\"s-1\",\"createdMonth\":\"" + month + "\",\"createdKey\":\"x#s-1\"}}"));
        for (String cursor : forged) {
            ApiClient.Reply r = api.get("/sessions?limit=1&cursor=" + cursor, token);
            assertThat(r.status()).as(cursor + " -> " + r.body()).isEqualTo(422);
            assertThat(r.errorField()).isEqualTo("cursor");
        }
        int dot = Math.max(0, real.indexOf('.'));
        List<String> altered = List.of(
                // A real cursor with its content or its seal altered, or cut short.
                b64("{\"p\":\"" + user + "\"}") + real.substring(dot),
                real.substring(0, dot + 1) + "AAAAAAAAAAAAAAAAAAAAAA",
                real.substring(0, real.length() - 2),
                "x".repeat(9000));
        for (String cursor : altered) {
            ApiClient.Reply r = api.get("/sessions?limit=1&cursor=" + cursor, token);
            assertThat(r.status()).as(cursor + " -> " + r.body()).isEqualTo(422);
            assertThat(r.errorField()).isEqualTo("cursor");
        }
        ApiClient.Reply admin = api.get("/sessions?all=true&cursor=" + forged.get(3), local.adminToken());
        assertThat(admin.status()).as(admin.body()).isEqualTo(422);
        ApiClient.Reply borrowed = api.get("/sessions?limit=1&cursor=" + real, local.token("borrower-" + UUID.randomUUID().toString().substring(0, 6)));
        assertThat(borrowed.status()).as(borrowed.body()).isEqualTo(422);
        assertThat(api.get("/sessions?limit=1&cursor=" + real, token).status()).isEqualTo(200);
    }

    @Test
    void historyAndDestroyFollowTheRules() {
        String token = local.token("destroyer");
        String id = create(token, "d");
        ApiClient.Reply destroyed = api.call("DELETE", "/sessions/" + id, token, null, Map.of());
        assertThat(destroyed.json().path("status").asText()).isEqualTo("CANCELLED");
        assertThat(destroyed.json().path("status_info").asText()).isEqualTo("user-requested");
        ApiClient.Reply again = api.call("DELETE", "/sessions/" + id, token, null, Map.of());
        assertThat(again.status()).isEqualTo(409);
        JsonNode history = api.get("/sessions/" + id + "/history", token).json().path("items");
        assertThat(history.findValuesAsText("status")).containsExactly("PENDING", "CANCELLED");
    }

    @Test
    void aRetriedMutationWithTheSameKeyGetsTheFirstAnswer() {
        String token = local.token("retrier");
        String id = create(token, "r");
        Map<String, String> key = Map.of("Idempotency-Key", "del-" + UUID.randomUUID());
        ApiClient.Reply first = api.call("DELETE", "/sessions/" + id, token, null, key);
        ApiClient.Reply retry = api.call("DELETE", "/sessions/" + id, token, null, key);
        assertThat(first.status()).isEqualTo(200);
        assertThat(retry.status()).isEqualTo(200);
        assertThat(retry.body()).isEqualTo(first.body());
        Map<String, String> patchKey = Map.of("Idempotency-Key", "patch-" + UUID.randomUUID());
        String admin = local.adminToken();
        assertThat(api.call("PATCH", "/resource-groups/" + group, admin, "{\"description\":\"one\"}", patchKey).status()).isEqualTo(200);
        ApiClient.Reply reused = api.call("PATCH", "/resource-groups/" + group, admin, "{\"description\":\"two\"}", patchKey);
        assertThat(reused.status()).isEqualTo(422);
        assertThat(reused.errorField()).isEqualTo("Idempotency-Key");
        assertThat(api.get("/resource-groups/" + group, admin).json().path("description").asText()).isEqualTo("one");
    }
}
