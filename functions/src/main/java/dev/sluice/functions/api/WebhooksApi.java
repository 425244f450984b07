package dev.sluice.functions.api;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import dev.sluice.adapters.Wiring;
import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.usecase.WebhookService;
import dev.sluice.core.webhook.DeliveryAttempt;
import dev.sluice.core.webhook.WebhookMessage;
import dev.sluice.core.webhook.WebhookSubscription;
import dev.sluice.functions.Priming;
import dev.sluice.functions.http.ApiHandler;
import dev.sluice.functions.http.ApiRequest;
import dev.sluice.functions.http.ApiResponses;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A user's webhook subscriptions, their deliveries and dead letters, and the secret of their sessions' callbacks. */
public final class WebhooksApi extends ApiHandler {

    public WebhooksApi() {
        this(Wiring.fromEnvironment(System.getenv()));
        Priming.register(this);
    }

    public WebhooksApi(Wiring wiring) {
        super(wiring);
    }

    static Map<String, Object> view(WebhookSubscription s) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("id", s.id());
        v.put("url", s.url());
        v.put("description", s.description());
        v.put("event_types", s.filter().eventTypeNames());
        Map<String, Object> filter = new LinkedHashMap<>();
        filter.put("statuses", s.filter().statuses());
        filter.put("resource_groups", s.filter().resourceGroups());
        filter.put("session_types", s.filter().sessionTypes());
        filter.put("session_ids", s.filter().sessionIds());
        v.put("filter", filter);
        v.put("created_at", s.createdAt().toString());
        v.put("updated_at", s.updatedAt().toString());
        v.put("previous_secret_valid_until", s.previousSecretValidUntil().map(Object::toString).orElse(null));
        return v;
    }

    private static Map<String, Object> withSecret(WebhookService.WithSecret w) {
        Map<String, Object> v = view(w.subscription());
        v.put("secret", w.secret());
        return v;
    }

    static Map<String, Object> attempt(DeliveryAttempt a) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("time", a.at().toString());
        v.put("webhook_id", a.webhookId());
        v.put("type", a.type());
        v.put("attempt", a.attempt());
        v.put("status_code", a.statusCode().orElse(null));
        v.put("latency_ms", a.latencyMillis());
        v.put("error", a.error().orElse(null));
        v.put("outcome", a.outcome().wireName());
        return v;
    }

    static Map<String, Object> queued(WebhookMessage m) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("webhook_id", m.webhookId());
        v.put("type", m.type());
        v.put("time", m.time().toString());
        return v;
    }

    /** The rotation request; an absent body is an empty one. */
    private static WebhookService.SecretRotation rotation(ApiRequest request) {
        return WebhookService.SecretRotation.parse(RequestFields.of(request.rawBody().isBlank() ? Map.of() : request.jsonBody()));
    }

    /**
     * A secret is shown once: the answer kept for an Idempotency-Key replay has it removed ({@code secret: null},
     * {@code secret_withheld: true}); a client that lost the first answer rotates the secret.
     */
    @Override
    protected String remembered(ApiRequest request, String body) {
        try {
            com.fasterxml.jackson.databind.JsonNode node = dev.sluice.adapters.json.Json.MAPPER.readTree(body);
            if (node instanceof com.fasterxml.jackson.databind.node.ObjectNode o && o.has("secret")) {
                o.putNull("secret");
                o.put("secret_withheld", true);
                return dev.sluice.adapters.json.Json.MAPPER.writeValueAsString(o);
            }
            return body;
        } catch (java.io.IOException e) {
            return body;
        }
    }

    @Override
    protected APIGatewayProxyResponseEvent route(ApiRequest request, Principal caller) {
        WebhookService webhooks = plane.webhooks().service();
        String route = request.route();
        String method = request.method();
        if (route.equals("/webhooks")) {
            if (method.equals("POST")) {
                return ApiResponses.json(201, withSecret(webhooks.create(caller, RequestFields.of(request.jsonBody()))));
            }
            if (method.equals("GET")) {
                return ApiResponses.json(200, Map.of("items", webhooks.list(caller).stream().map(WebhooksApi::view).toList()));
            }
        }
        if (route.equals("/webhooks/callback-secret") && method.equals("POST")) {
            return ApiResponses.json(200, Map.of("secret", webhooks.rotateCallbackSecret(caller, rotation(request))));
        }
        if (route.equals("/webhooks/{id}")) {
            String id = request.pathParameter("id");
            switch (method) {
                case "GET":
                    return ApiResponses.json(200, view(webhooks.get(caller, id)));
                case "PATCH":
                    return ApiResponses.json(200, view(webhooks.update(caller, id, RequestFields.of(request.jsonBody()))));
                case "DELETE":
                    return ApiResponses.json(200, view(webhooks.delete(caller, id)));
                default:
                    break;
            }
        }
        if (route.equals("/webhooks/{id}/rotate-secret") && method.equals("POST")) {
            return ApiResponses.json(200, withSecret(webhooks.rotateSecret(caller, request.pathParameter("id"), rotation(request))));
        }
        if (route.equals("/webhooks/{id}/test") && method.equals("POST")) {
            return ApiResponses.json(202, queued(webhooks.sendTest(caller, request.pathParameter("id"))));
        }
        if (route.equals("/webhooks/{id}/deliveries") && method.equals("GET")) {
            int limit = limit(request);
            List<Map<String, Object>> items = webhooks.deliveries(caller, request.pathParameter("id"), limit).stream()
                    .map(WebhooksApi::attempt).toList();
            return ApiResponses.json(200, Map.of("items", items));
        }
        if (route.equals("/webhooks/{id}/deliveries/{webhook_id}/replay") && method.equals("POST")) {
            return ApiResponses.json(202, queued(webhooks.replay(caller, request.pathParameter("id"), request.pathParameter("webhook_id"))));
        }
        if (route.equals("/webhooks/{id}/dead-letters")) {
            if (method.equals("GET")) {
                return ApiResponses.json(200, Map.of("items", webhooks.deadLetters(caller, request.pathParameter("id")).stream()
                        .map(WebhooksApi::queued).toList()));
            }
        }
        if (route.equals("/webhooks/{id}/dead-letters/replay") && method.equals("POST")) {
            List<Map<String, Object>> items = webhooks.replayDeadLetters(caller, request.pathParameter("id")).stream()
                    .map(WebhooksApi::queued).toList();
            return ApiResponses.json(202, Map.of("replayed", items.size(), "items", items));
        }
        return methodNotAllowed(request);
    }

    private static int limit(ApiRequest request) {
        String text = request.queryParameters().get("limit");
        if (text == null) {
            return 50;
        }
        try {
            int n = Integer.parseInt(text);
            if (n >= 1 && n <= 200) {
                return n;
            }
        } catch (NumberFormatException notANumber) {
            // refused below
        }
        throw DomainException.invalid("limit", "must be a whole number between 1 and 200");
    }
}
