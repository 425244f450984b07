package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sluice webhook}: subscriptions to your sessions' and tasks' changes, their deliveries and dead letters. */
@Command(name = "webhook", aliases = "wh", description = "Subscribe URLs to your sessions' and tasks' changes; see and replay deliveries.",
        subcommands = {
            WebhookCommand.Create.class,
            WebhookCommand.ListWebhooks.class,
            WebhookCommand.Get.class,
            WebhookCommand.Update.class,
            WebhookCommand.Delete.class,
            WebhookCommand.RotateSecret.class,
            WebhookCommand.Test.class,
            WebhookCommand.Deliveries.class,
            WebhookCommand.DeadLetters.class,
            WebhookCommand.Replay.class,
            WebhookCommand.CallbackSecret.class})
final class WebhookCommand implements Callable<Integer> {
    static final List<String> EVENT_TYPES = List.of("session.status_changed", "task.updated");

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Sluice.EXIT_SETUP;
    }

    static String path(String id) {
        return "/webhooks/" + SluiceApi.segment(id);
    }

    static String list(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        return values.isEmpty() ? "any" : String.join(",", values);
    }

    static String block(JsonNode w, RelativeTime relative) {
        JsonNode filter = w.path("filter");
        Fields f = new Fields()
                .add("ID", SessionText.text(w, "id"))
                .add("URL", SessionText.text(w, "url"))
                .add("Description", SessionText.text(w, "description"))
                .add("Events", list(w.path("event_types")))
                .add("Statuses", list(filter.path("statuses")))
                .add("Groups", list(filter.path("resource_groups")))
                .add("Types", list(filter.path("session_types")))
                .add("Sessions", list(filter.path("session_ids")))
                .add("Created", SessionText.when(SessionText.text(w, "created_at"), relative));
        if (!w.path("previous_secret_valid_until").isNull() && !w.path("previous_secret_valid_until").isMissingNode()) {
            f.add("Old secret until", SessionText.when(SessionText.text(w, "previous_secret_valid_until"), relative));
        }
        if (w.has("secret")) {
            f.add("Secret", SessionText.text(w, "secret") + "  (shown once: keep it now)");
        }
        return f.toString();
    }

    /** What a subscription receives, as flags; only those given are sent. */
    static final class Settings {
        @Option(names = "--url", paramLabel = "URL", description = "Where deliveries are POSTed (https).")
        String url;

        @Option(names = "--description", paramLabel = "TEXT", description = "What the subscription is for.")
        String description;

        @Option(names = "--event", split = ",", paramLabel = "TYPE", description = "session.status_changed, task.updated (default: both).")
        List<String> events;

        @Option(names = "--status", split = ",", paramLabel = "STATUS", description = "Only session events to these statuses.")
        List<String> statuses;

        @Option(names = "--group", split = ",", paramLabel = "GROUP", description = "Only sessions of these resource groups.")
        List<String> groups;

        @Option(names = "--type", split = ",", paramLabel = "TYPE", description = "Only sessions of these types (interactive, batch, inference).")
        List<String> types;

        @Option(names = "--session", split = ",", paramLabel = "ID", description = "Only these sessions.")
        List<String> sessions;

        ObjectNode body(ApiCommand command) {
            ObjectNode b = Json.MAPPER.createObjectNode();
            if (url != null) {
                b.put("url", url);
            }
            if (description != null) {
                b.put("description", description);
            }
            if (events != null) {
                var array = b.putArray("event_types");
                events.forEach(e -> array.add(command.oneOf("--event", e.trim(), EVENT_TYPES)));
            }
            ObjectNode filter = Json.MAPPER.createObjectNode();
            put(filter, "statuses", statuses == null ? null : statuses.stream().map(s -> s.trim().toUpperCase(java.util.Locale.ROOT)).toList());
            put(filter, "resource_groups", groups);
            if (types != null) {
                types.forEach(t -> command.oneOf("--type", t.trim(), SessionCommand.TYPES));
            }
            put(filter, "session_types", types);
            put(filter, "session_ids", sessions);
            if (!filter.isEmpty()) {
                b.set("filter", filter);
            }
            return b;
        }

        private static void put(ObjectNode filter, String field, List<String> values) {
            if (values != null) {
                var array = filter.putArray(field);
                values.forEach(v -> array.add(v.trim()));
            }
        }
    }

    @Command(name = "create", description = "Subscribe a URL; prints the signing secret (shown only now).")
    static final class Create extends ApiCommand {
        @Mixin
        Settings settings;

        @Option(names = "--json", description = "Print the subscription as JSON.")
        boolean json;

        @Override
        public Integer call() {
            if (settings.url == null) {
                throw usage("Missing required option: '--url=URL'");
            }
            JsonNode created = api().send("POST", "/webhooks", Map.of(), settings.body(this), Map.of());
            return show(created, json, WebhookCommand::block);
        }
    }

    @Command(name = "list", aliases = "ls", description = "Your subscriptions.")
    static final class ListWebhooks extends ApiCommand {
        @Option(names = "--json", description = "Print the subscriptions as a JSON array.")
        boolean json;

        @Override
        public Integer call() {
            JsonNode items = api().get("/webhooks").path("items");
            if (json) {
                printJson(items);
                return Sluice.EXIT_OK;
            }
            Table table = new Table("ID", "URL", "EVENTS", "STATUSES", "GROUPS", "DESCRIPTION");
            for (JsonNode w : items) {
                table.row(SessionText.text(w, "id"), SessionText.text(w, "url"), list(w.path("event_types")),
                        list(w.path("filter").path("statuses")), list(w.path("filter").path("resource_groups")), SessionText.text(w, "description"));
            }
            out().print(table);
            return Sluice.EXIT_OK;
        }
    }

    @Command(name = "get", description = "Show one subscription.")
    static final class Get extends ApiCommand {
        @Parameters(paramLabel = "ID", description = "The subscription's id.")
        String id;

        @Option(names = "--json", description = "Print the subscription as JSON.")
        boolean json;

        @Override
        public Integer call() {
            return show(api().get(path(id)), json, WebhookCommand::block);
        }
    }

    @Command(name = "update", description = "Change a subscription; only the flags given change.")
    static final class Update extends ApiCommand {
        @Parameters(paramLabel = "ID", description = "The subscription's id.")
        String id;

        @Mixin
        Settings settings;

        @Option(names = "--json", description = "Print the subscription as JSON.")
        boolean json;

        @Override
        public Integer call() {
            ObjectNode body = settings.body(this);
            if (body.isEmpty()) {
                throw usage("Nothing to update: give at least one setting (see --help).");
            }
            return show(api().send("PATCH", path(id), Map.of(), body, Map.of()), json, WebhookCommand::block);
        }
    }

    @Command(name = "delete", aliases = "rm", description = "Delete a subscription and its rule.")
    static final class Delete extends ApiCommand {
        @Parameters(paramLabel = "ID", description = "The subscription's id.")
        String id;

        @Override
        public Integer call() {
            JsonNode gone = api().send("DELETE", path(id), Map.of(), null, Map.of());
            out().println("deleted " + SessionText.text(gone, "id"));
            return Sluice.EXIT_OK;
        }
    }

    @Command(name = "rotate-secret", description = "A new signing secret (shown only now); the old one stays valid for the grace period.")
    static final class RotateSecret extends ApiCommand {
        @Parameters(paramLabel = "ID", description = "The subscription's id.")
        String id;

        @Option(names = "--grace", paramLabel = "DURATION", description = "How long the old secret stays valid (0 to 7d; default 24h).")
        String grace;

        @Option(names = "--json", description = "Print the subscription as JSON.")
        boolean json;

        @Override
        public Integer call() {
            ObjectNode body = Json.MAPPER.createObjectNode();
            if (grace != null) {
                body.put("grace_period", grace);
            }
            return show(api().send("POST", path(id) + "/rotate-secret", Map.of(), body, Map.of()), json, WebhookCommand::block);
        }
    }

    @Command(name = "test", description = "Send a webhook.test event to the subscription.")
    static final class Test extends ApiCommand {
        @Parameters(paramLabel = "ID", description = "The subscription's id.")
        String id;

        @Override
        public Integer call() {
            JsonNode queued = api().send("POST", path(id) + "/test", Map.of(), null, Map.of());
            out().println("queued " + SessionText.text(queued, "webhook_id") + " (see: sluice webhook deliveries " + id + ")");
            return Sluice.EXIT_OK;
        }
    }

    @Command(name = "deliveries", description = "Recent delivery attempts, newest first.")
    static final class Deliveries extends ApiCommand {
        @Parameters(paramLabel = "ID", description = "The subscription's id.")
        String id;

        @Option(names = "--limit", paramLabel = "N", description = "At most N attempts (1-200, default 50).")
        Integer limit;

        @Option(names = "--json", description = "Print the attempts as a JSON array.")
        boolean json;

        @Override
        public Integer call() {
            JsonNode items = api().get(path(id) + "/deliveries", limit == null ? Map.of() : Map.of("limit", limit.toString())).path("items");
            if (json) {
                printJson(items);
                return Sluice.EXIT_OK;
            }
            Table table = new Table("TIME", "EVENT", "TYPE", "ATTEMPT", "STATUS", "LATENCY", "OUTCOME", "ERROR");
            for (JsonNode a : items) {
                table.row(relative().since(SessionText.text(a, "time")), SessionText.text(a, "webhook_id"), SessionText.text(a, "type"),
                        a.path("attempt").asText(), a.path("status_code").isNull() ? "-" : a.path("status_code").asText(),
                        a.path("latency_ms").asText() + " ms", SessionText.text(a, "outcome"), SessionText.text(a, "error"));
            }
            out().print(table);
            return Sluice.EXIT_OK;
        }
    }

    @Command(name = "dead-letters", description = "Deliveries that ran out of attempts.")
    static final class DeadLetters extends ApiCommand {
        @Parameters(paramLabel = "ID", description = "The subscription's id.")
        String id;

        @Override
        public Integer call() {
            Table table = new Table("EVENT", "TYPE", "TIME");
            for (JsonNode m : api().get(path(id) + "/dead-letters").path("items")) {
                table.row(SessionText.text(m, "webhook_id"), SessionText.text(m, "type"), SessionText.text(m, "time"));
            }
            out().print(table);
            return Sluice.EXIT_OK;
        }
    }

    @Command(name = "replay", description = "Send one delivery again (its webhook id), or everything in the dead-letter queue (--dead-letters).")
    static final class Replay extends ApiCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "The subscription's id.")
        String id;

        @Parameters(index = "1", paramLabel = "WEBHOOK_ID", arity = "0..1", description = "The delivery's webhook id (msg_...).")
        String webhookId;

        @Option(names = "--dead-letters", description = "Replay everything in the subscription's dead-letter queue.")
        boolean deadLetters;

        @Override
        public Integer call() {
            if (deadLetters == (webhookId != null)) {
                throw usage("Give either a WEBHOOK_ID or --dead-letters.");
            }
            if (deadLetters) {
                JsonNode r = api().send("POST", path(id) + "/dead-letters/replay", Map.of(), null, Map.of());
                out().println("replayed " + r.path("replayed").asInt() + " deliveries");
            } else {
                JsonNode r = api().send("POST", path(id) + "/deliveries/" + SluiceApi.segment(webhookId) + "/replay", Map.of(), null, Map.of());
                out().println("replayed " + SessionText.text(r, "webhook_id"));
            }
            return Sluice.EXIT_OK;
        }
    }

    @Command(name = "callback-secret", description = "A new secret for your sessions' --callback-url deliveries (shown only now).")
    static final class CallbackSecret extends ApiCommand {
        @Option(names = "--grace", paramLabel = "DURATION", description = "How long the old secret stays valid (0 to 7d; default 24h).")
        String grace;

        @Override
        public Integer call() {
            ObjectNode body = Json.MAPPER.createObjectNode();
            if (grace != null) {
                body.put("grace_period", grace);
            }
            out().println(SessionText.text(api().send("POST", "/webhooks/callback-secret", Map.of(), body, Map.of()), "secret"));
            return Sluice.EXIT_OK;
        }
    }
}
