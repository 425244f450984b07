package dev.sluice.local.bench;

import dev.sluice.local.FunctionHost;
import dev.sluice.local.LocalDeployer;
import dev.sluice.local.LocalRuntime;
import dev.sluice.local.LocalUsers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Latency of a warm {@code GET /sessions/{id}}: the handler's own time (token check, one consistent GetItem, JSON),
 * the whole round trip through the emulator's API Gateway, and as the baseline measured in the same run, the bare
 * consistent GetItem of the same item against the same emulator (the floor under the handler).
 */
public final class ApiLatencyBenchmark {
    private static final int WARMUP = 300;
    private static final int MEASURED = 1000;

    private ApiLatencyBenchmark() {
    }

    public static Report run(LocalRuntime runtime, LocalDeployer.DeployedStack stack) throws Exception {
        {
            FunctionHost host = runtime.host();
            String apiUrl = LocalRuntime.apiUrl(stack);
            LocalUsers users = LocalUsers.of(stack);
            String admin = users.token("bench-admin", List.of("admin", "users"));
            String user = users.token("bench-user", List.of("users"));
            HttpClient http = HttpClient.newHttpClient();
            send(http, "PUT", apiUrl + "/resource-groups/bench", admin, "{}");
            String created = send(http, "POST", apiUrl + "/sessions", user,
                    "{\"image\":\"python:3.12\",\"resource_group\":\"bench\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"}}");
            String id = created.replaceAll("(?s).*\"id\":\"([^\"]+)\".*", "$1");

            ConcurrentLinkedQueue<Long> handler = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Long> own = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Integer> calls = new ConcurrentLinkedQueue<>();
            String function = host.bindings().keySet().stream().filter(n -> n.contains("SessionsApi")).findFirst().orElseThrow();
            host.timeHandlersWith((name, nanos, aws) -> {
                if (name.equals(function)) {
                    handler.add(nanos);
                    own.add(nanos - aws.nanos());
                    calls.add(aws.calls());
                }
            });
            List<Long> roundTrip = new ArrayList<>();
            for (int i = 0; i < WARMUP + MEASURED; i++) {
                long t = System.nanoTime();
                send(http, "GET", apiUrl + "/sessions/" + id, user, null);
                if (i >= WARMUP) {
                    roundTrip.add(System.nanoTime() - t);
                }
            }
            List<Long> handlerTimes = new ArrayList<>(handler).subList(WARMUP, WARMUP + MEASURED);
            List<Long> ownTimes = new ArrayList<>(own).subList(WARMUP, WARMUP + MEASURED);
            double callsPerRequest = new ArrayList<>(calls).subList(WARMUP, WARMUP + MEASURED).stream().mapToInt(Integer::intValue).average().orElse(0);

            String table = stack.functions().get(function).environment().get("SESSIONS_TABLE");
            List<Long> getItem = new ArrayList<>();
            try (DynamoDbClient ddb = DynamoDbClient.builder().build()) {
                for (int i = 0; i < WARMUP + MEASURED; i++) {
                    long t = System.nanoTime();
                    ddb.getItem(b -> b.tableName(table).key(Map.of("id", AttributeValue.fromS(id))).consistentRead(true));
                    if (i >= WARMUP) {
                        getItem.add(System.nanoTime() - t);
                    }
                }
            }
            return new Report(Stats.of(ownTimes), Stats.of(handlerTimes), Stats.of(roundTrip), Stats.of(getItem), callsPerRequest);
        }
    }

    public record Report(Stats own, Stats handler, Stats roundTrip, Stats getItemBaseline, double awsCallsPerRequest) {
        public String markdown() {
            return String.join("\n",
                    "| `GET /sessions/{id}`, " + MEASURED + " warm calls after " + WARMUP + " | p50 | p90 | p99 | max |",
                    "|---|---|---|---|---|",
                    own.row("**handler time excluding the emulator** (token check, mapping, JSON) — goal p50 < 5 ms"),
                    handler.row("handler time including its AWS calls to the emulator"),
                    getItemBaseline.row("baseline: bare consistent GetItem of the same item, same emulator, same run"),
                    roundTrip.row("client round trip through the emulator's API Gateway and the proxy hop"),
                    "",
                    String.format("AWS calls per request: %.2f (one consistent GetItem, and for a pending session the COUNT query of "
                            + "its queue position). The handler's AWS time is above the bare "
                            + "GetItem measured alone: during an invocation the single-process emulator is also holding the proxied "
                            + "API request open (not investigated further).", awsCallsPerRequest));
        }
    }

    private static String send(HttpClient http, String method, String url, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 300) {
            throw new IllegalStateException(method + " " + url + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }
}
