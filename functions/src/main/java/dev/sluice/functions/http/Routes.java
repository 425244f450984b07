package dev.sluice.functions.http;

import java.util.Map;
import java.util.Optional;

/**
 * The methods of every route of the user API, as infra/openapi/sluice.yaml declares them (StackInvariantsTest checks
 * that they agree). The template sends every other method of these paths to the function too (an {@code any} event
 * beside the explicit ones), so that it is answered 405 with an Allow header rather than API Gateway's 403.
 */
public final class Routes {
    private static final Map<String, String> ALLOWED = Map.ofEntries(
            Map.entry("/sessions", "GET, POST"),
            Map.entry("/sessions/{id}", "GET, DELETE"),
            Map.entry("/sessions/{id}/history", "GET"),
            Map.entry("/sessions/{id}/logs", "GET"),
            Map.entry("/resource-groups", "GET, POST"),
            Map.entry("/resource-groups/{name}", "GET, PUT, PATCH, DELETE"),
            Map.entry("/resource-groups/{name}/fleet", "GET, PUT"),
            Map.entry("/resource-policies", "GET"),
            Map.entry("/resource-policies/{scope}", "GET, PUT, DELETE"),
            Map.entry("/agents", "GET"),
            Map.entry("/agents/{id}", "GET, PATCH"),
            Map.entry("/webhooks", "GET, POST"),
            Map.entry("/webhooks/callback-secret", "POST"),
            Map.entry("/webhooks/{id}", "GET, PATCH, DELETE"),
            Map.entry("/webhooks/{id}/rotate-secret", "POST"),
            Map.entry("/webhooks/{id}/test", "POST"),
            Map.entry("/webhooks/{id}/deliveries", "GET"),
            Map.entry("/webhooks/{id}/deliveries/{webhook_id}/replay", "POST"),
            Map.entry("/webhooks/{id}/dead-letters", "GET"),
            Map.entry("/webhooks/{id}/dead-letters/replay", "POST"),
            Map.entry("/folders", "GET, POST"),
            Map.entry("/folders/{name}", "GET, PATCH, DELETE"),
            Map.entry("/folders/{name}/clone", "POST"),
            Map.entry("/folders/{name}/files", "GET"),
            Map.entry("/folders/{name}/uploads", "POST"),
            Map.entry("/folders/{name}/uploads/complete", "POST"),
            Map.entry("/folders/{name}/download", "GET"),
            Map.entry("/tasks", "GET"),
            Map.entry("/tasks/{id}", "GET, DELETE"),
            Map.entry("/tasks/{id}/events", "GET"));

    private Routes() {
    }

    /** Every route and its methods, for the check against the document. */
    public static Map<String, String> all() {
        return ALLOWED;
    }

    /** The Allow header of {@code route} when it does not take {@code method}; empty when it does (or is unknown). */
    public static Optional<String> refusal(String route, String method) {
        String allowed = ALLOWED.get(route);
        if (allowed == null || java.util.List.of(allowed.split(", ")).contains(method)) {
            return Optional.empty();
        }
        return Optional.of(allowed);
    }
}
