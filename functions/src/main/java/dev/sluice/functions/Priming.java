package dev.sluice.functions;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.events.ScheduledEvent;
import dev.sluice.adapters.auth.JwtVerifier;
import dev.sluice.adapters.aws.Offline;
import dev.sluice.adapters.json.Json;
import dev.sluice.core.auth.Principal;
import dev.sluice.functions.api.AgentWorkApi;
import dev.sluice.functions.http.ApiHandler;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.crac.Context;
import org.crac.Core;
import org.crac.Resource;

/**
 * SnapStart priming, shared by every handler: before Lambda takes a function version's snapshot, each handler built
 * by its no-argument constructor (which registers it here) answers requests offline, so that the snapshot holds the
 * classes a first request loads and the AWS clients' lazily built parts (request marshalling, endpoint rules,
 * signing, response parsing, the DynamoDB table schemas), and a restored function starts from there.
 *
 * <p>SnapStart-ready ({@code ARCHITECTURE.md}): priming makes no network call and writes nothing (every AWS call is
 * answered by {@link Offline}: an empty JSON object, signed with made-up credentials so none are fetched), fetches no
 * token keys (the token check is exercised with a fixed key and token of its own), and keeps no clock reading, random
 * value or connection: the handlers' state after priming is what it was before.
 */
public final class Priming implements Resource {
    /** Held strongly: the CRaC global context keeps only weak references to its resources. */
    private static final Priming INSTANCE = new Priming();

    /** Who the offline requests are made as: a plain user, no admin rights. */
    static final Principal CALLER = new Principal("priming", "priming", Set.of("users"));

    /** A GET of each API's read routes (a handler answers 405 to the routes of other functions), path values made up. */
    static final List<String> READ_ROUTES = List.of("/sessions/{id}", "/sessions", "/resource-groups/{name}", "/resource-groups",
            "/resource-policies/{scope}", "/resource-policies", "/agents/{id}", "/agents", "/webhooks/{id}", "/webhooks",
            "/folders/{name}", "/folders", "/tasks/{id}", "/tasks");

    /** The agent API's most frequent call, a heartbeat (its writes are answered offline), and a read of a session's mounts. */
    private static final String HEARTBEAT = "{\"resource_group\":\"priming\",\"available_slots\":{\"cpu\":\"1\",\"mem\":\"1g\"},"
            + "\"architecture\":\"x86_64\",\"version\":\"priming\",\"running\":[]}";

    // A 2048-bit RS256 key pair made once for priming (its private half was thrown away) and a token it signed, so the
    // token check's classes (JWKS parsing, RSA, the claims) load without the issuer's keys being fetched.
    private static final String JWKS = "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"priming\",\"alg\":\"RS256\",\"use\":\"sig\",\"n\":"
            + "\"0_b9hAjWlgPd5h78XkX_6PIx_vj2V7MCQWMXjGN64gply4uiRqFyPZ1SIM-xocXRqJtFeVOVVN925XEcHegdvYqrYtI3-dHQFw3sg35pUfjIA1c-2jjWMd1A1MnQ"
            + "mg_9PFfm_Xb4esHZG1txv_0LeE2jnJc2UKUUTUdlvUp-p6_fpITFgTzHEwuaTvFhk536EvEFGnpzvNUI5yM9zK4Uj2iYpt22doLZNr-QJLoQNnvttC9v0AMOeBvNpowV"
            + "Nliw1NNXH2zwDRToZExE2vDbdtSsYtjh9_Ey3VsHMfk1ufQeR-P5x4z1g_LqQpM-L2a88YHQRUmyqU72Xh8awNG46Q\",\"e\":\"AQAB\"}]}";
    private static final String TOKEN = "eyJhbGciOiJSUzI1NiIsImtpZCI6InByaW1pbmciLCJ0eXAiOiJKV1QifQ."
            + "eyJpc3MiOiJodHRwczovL3ByaW1pbmcuaW52YWxpZCIsImF1ZCI6InByaW1pbmciLCJzdWIiOiJwcmltaW5nIiwiY29nbml0bzp1c2VybmFtZSI6InByaW1pbmciLCJjb2"
            + "duaXRvOmdyb3VwcyI6WyJ1c2VycyJdLCJleHAiOjQxMDI0NDQ4MDB9."
            + "fp5iK6fFp9fTiUDRr99L67jNobKUJ-OTHzjIFGtWUrq9Kvm28Lo8ZzkL-vZPN65z1r9l4qkHXqIA-JAkSCMMKkOnmXLJS7IDwG6Wh8sNVWq49peYum3YOEyY7TpFssXebzv"
            + "N7wcdp48Fl2_yjOEVEypqyLWVyZ63wTlRfogrzY-YxBdkIRd3Ub_klBNzYBa4yppu8KJ5DLHEoffzE7C_238hVE41izHWFGFwtCBe6UEEGgvxVCb36abhWcgkwDEJT6GFbS"
            + "j8zv4k9yeHYpCkVqC5WZNSlf57_vvcbflF3WujE3t7urWc7p-9Yc-2_Lxmg8llfLLooV-2JfCby7lI3g";

    private final List<RequestHandler<?, ?>> handlers = new CopyOnWriteArrayList<>();

    static {
        Core.getGlobalContext().register(INSTANCE);
    }

    private Priming() {
    }

    /** The resource registered with the CRaC global context. */
    static Priming instance() {
        return INSTANCE;
    }

    /** Called by each handler's no-argument constructor (the one Lambda uses): primes it before a snapshot. */
    public static void register(RequestHandler<?, ?> handler) {
        INSTANCE.handlers.add(handler);
    }

    /** What one priming did: the AWS calls answered offline and the steps that ended in an exception (expected ones too). */
    public record Report(int offlineCalls, List<String> failedSteps) {
    }

    /** Primes every registered handler now (what {@link #beforeCheckpoint} does; the cold-start benchmark calls it). */
    public static Report primeRegistered() {
        return prime(INSTANCE.handlers);
    }

    /** Primes {@code handlers}, offline, on this thread. */
    public static Report prime(List<? extends RequestHandler<?, ?>> handlers) {
        int before = Offline.answered();
        List<String> failed = new ArrayList<>();
        Offline.run(() -> {
            step(failed, "json", Priming::json);
            step(failed, "token", Priming::token);
            for (RequestHandler<?, ?> handler : handlers) {
                step(failed, handler.getClass().getSimpleName(), () -> handler(handler, failed));
            }
            return null;
        });
        return new Report(Offline.answered() - before, List.copyOf(failed));
    }

    @Override
    public void beforeCheckpoint(Context<? extends Resource> context) {
        Report report = primeRegistered();
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("level", "INFO");
        line.put("priming", "done");
        line.put("handlers", handlers.size());
        line.put("offlineCalls", report.offlineCalls());
        System.out.println(Json.write(line));
    }

    @Override
    public void afterRestore(Context<? extends Resource> context) {
        // nothing to renew: priming kept no clock reading, random value, credentials or connection
    }

    private static void step(List<String> failed, String name, Runnable work) {
        try {
            work.run();
        } catch (RuntimeException | LinkageError e) {
            failed.add(name + ": " + e.getClass().getSimpleName());
        }
    }

    private static void json() {
        Map<String, Object> sample = new LinkedHashMap<>();
        sample.put("id", "priming");
        sample.put("at", Instant.EPOCH);
        sample.put("slots", Map.of("cpu", 2, "mem", "8g"));
        sample.put("items", List.of(1.5, true, "x"));
        Json.readObjectUnchecked(Json.write(sample));
    }

    private static void token() {
        Clock fixed = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
        new JwtVerifier("https://priming.invalid", "priming", () -> JwtVerifier.parseJwks(JWKS), fixed).verifyHeader("Bearer " + TOKEN);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void handler(RequestHandler<?, ?> handler, List<String> failed) {
        String name = handler.getClass().getSimpleName();
        if (handler instanceof AgentWorkApi agent) {
            step(failed, name + " POST /agent/heartbeat",
                    () -> agent.answerOffline(get("/agent/heartbeat").withHttpMethod("POST").withBody(HEARTBEAT), "i-priming"));
            step(failed, name + " GET mounts", () -> agent.answerOffline(get("/agent/sessions/{id}/mounts/{name}/files"), "i-priming"));
            return;
        }
        if (handler instanceof ApiHandler api) {
            for (String route : READ_ROUTES) {
                step(failed, name + " GET " + route, () -> api.answerOffline(get(route), CALLER));
            }
            return;
        }
        Object input = emptyInput(HandlerTypes.eventType(handler.getClass()));
        ((RequestHandler) handler).handleRequest(input, null);
    }

    static APIGatewayProxyRequestEvent get(String route) {
        Map<String, String> path = new LinkedHashMap<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\{([a-z]+)}").matcher(route);
        while (m.find()) {
            path.put(m.group(1), m.group(1).equals("scope") ? "user:priming" : "priming");
        }
        return new APIGatewayProxyRequestEvent().withHttpMethod("GET").withResource(route).withPath(route)
                .withPathParameters(path).withHeaders(Map.of("Authorization", "Bearer " + TOKEN)).withQueryStringParameters(Map.of());
    }

    /** An input that asks for nothing: an event with no records or detail, an empty map, a request with no identity. */
    private static Object emptyInput(Class<?> type) {
        if (type == SQSEvent.class) {
            SQSEvent event = new SQSEvent();
            event.setRecords(List.of());
            return event;
        }
        if (type == ScheduledEvent.class) {
            return new ScheduledEvent().withDetail(Map.of());
        }
        if (type == APIGatewayProxyRequestEvent.class) {
            return get("/priming");
        }
        return Map.of();
    }
}
