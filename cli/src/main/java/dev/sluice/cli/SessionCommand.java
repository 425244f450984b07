package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sluice session}: create, inspect, follow and destroy one session. */
@Command(name = "session", description = "Create, inspect, follow and destroy sessions.",
        subcommands = {
            SessionCommand.Create.class,
            SessionCommand.Get.class,
            SessionCommand.Destroy.class,
            SessionCommand.History.class,
            SessionCommand.Events.class,
            SessionCommand.Logs.class})
final class SessionCommand implements Callable<Integer> {
    static final List<String> TYPES = List.of("interactive", "batch", "inference");

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Sluice.EXIT_SETUP;
    }

    static String path(String id) {
        return "/sessions/" + SluiceApi.segment(id);
    }

    @Command(name = "create", description = {
        "Create a session; it starts PENDING and the scheduler places it.",
        "Every create carries an Idempotency-Key (a new one unless given), so retrying it is safe."})
    static final class Create extends ApiCommand {
        @Option(names = "--image", required = true, paramLabel = "IMAGE", description = "The container image, e.g. python:3.12.")
        String image;

        @Option(names = "--name", paramLabel = "NAME", description = "A name for the session.")
        String name;

        @Option(names = "--type", paramLabel = "TYPE", description = "interactive (default), batch or inference.")
        String type;

        @Option(names = "--group", paramLabel = "GROUP", description = "The resource group (default: the first that accepts the type).")
        String group;

        @Option(names = "--slot", paramLabel = "SLOT=AMOUNT", description = "A resource slot, repeatable: cpu=2, mem=8g, cuda.device=1.")
        Map<String, String> slots = new LinkedHashMap<>();

        @Option(names = "--command", paramLabel = "CMD", description = "The startup command (required for batch sessions).")
        String command;

        @Option(names = "--starts-at", paramLabel = "TIME", description = "Batch: not before this ISO-8601 time or in this long (30m).")
        String startsAt;

        @Option(names = "--batch-timeout", paramLabel = "DURATION", description = "Batch: fail after this long (3600, 90s, 2h).")
        String batchTimeout;

        @Option(names = "--priority", paramLabel = "N", description = "0 to 100 (default 10); higher is scheduled first.")
        Integer priority;

        @Option(names = "--depends-on", paramLabel = "ID", description = "A session that must succeed first, repeatable.")
        List<String> dependencies = new ArrayList<>();

        @Option(names = "--env", paramLabel = "K=V", description = "An environment variable, repeatable.")
        Map<String, String> environment = new LinkedHashMap<>();

        @Option(names = "--mount", paramLabel = "NAME", description = "A storage mount, repeatable.")
        List<String> mounts = new ArrayList<>();

        @Option(names = "--tag", paramLabel = "TAG", description = "A tag, repeatable.")
        List<String> tags = new ArrayList<>();

        @Option(names = "--callback-url", paramLabel = "URL", description = "Called on each status change.")
        String callbackUrl;

        @Option(names = "--retry-attempts", paramLabel = "N", description = "Retry: attempts in all, the first included (1 to 10).")
        Integer retryAttempts;

        @Option(names = "--retry-rule", paramLabel = "ACTION:ON[:ARG]", description = {
            "Retry: a rule, repeatable, evaluated in the order given (none matching: the end stands). ACTION retry or exit;",
            "ON spot-interrupted, agent-lost, folder-staging-failed, exit-code:CODES (1-5,137) or status-info:GLOB (task-*)."})
        List<String> retryRules = new ArrayList<>();

        @Option(names = "--retry-on-demand-after", paramLabel = "N", description = "Retry: after N spot interruptions, on-demand capacity only.")
        Integer retryOnDemandAfter;

        @Option(names = "--retry", paramLabel = "JSON", description = "Retry rules as the API's JSON object: {\"attempts\": 3, \"rules\": [...]}.")
        String retryJson;

        @Option(names = "--idempotency-key", paramLabel = "KEY", description = "Reuse a key to retry a create safely (default: a new UUID).")
        String idempotencyKey;

        @Option(names = "--json", description = "Print the session as JSON.")
        boolean json;

        @Override
        public Integer call() {
            ObjectNode body = body();
            String key = idempotencyKey != null ? idempotencyKey : "cli-" + UUID.randomUUID();
            JsonNode session = api().send("POST", "/sessions", Map.of(), body, Map.of("Idempotency-Key", key));
            return show(session, json, SessionText::block);
        }

        ObjectNode body() {
            ObjectNode b = Json.MAPPER.createObjectNode();
            b.put("image", image);
            putIfGiven(b, "name", name);
            putIfGiven(b, "type", oneOf("--type", type, TYPES));
            putIfGiven(b, "resource_group", group);
            if (!slots.isEmpty()) {
                ObjectNode s = b.putObject("resource_slots");
                slots.forEach((slot, amount) -> s.put(slot.trim(), amount.trim()));
            }
            putIfGiven(b, "startup_command", command);
            putIfGiven(b, "starts_at", startsAt);
            putIfGiven(b, "batch_timeout", batchTimeout);
            if (priority != null) {
                b.put("priority", priority);
            }
            if (!dependencies.isEmpty()) {
                dependencies.forEach(b.putArray("dependencies")::add);
            }
            if (!environment.isEmpty()) {
                ObjectNode env = b.putObject("environment");
                environment.forEach(env::put);
            }
            if (!mounts.isEmpty()) {
                mounts.forEach(b.putArray("mounts")::add);
            }
            if (!tags.isEmpty()) {
                tags.forEach(b.putArray("tags")::add);
            }
            putIfGiven(b, "callback_url", callbackUrl);
            putRetry(b);
            return b;
        }

        /** {@code retry} from --retry JSON, or from --retry-attempts and the --retry-rule list (the API checks the rest). */
        private void putRetry(ObjectNode b) {
            if (retryJson != null) {
                if (retryAttempts != null || !retryRules.isEmpty() || retryOnDemandAfter != null) {
                    throw usage("--retry and --retry-attempts/--retry-rule/--retry-on-demand-after are mutually exclusive");
                }
                try {
                    b.set("retry", Json.MAPPER.readTree(retryJson));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw usage("--retry must be a JSON object such as {\"attempts\": 3, \"rules\": [{\"on\": \"spot-interrupted\", \"action\": \"retry\"}]}");
                }
                return;
            }
            if (retryAttempts == null && retryRules.isEmpty() && retryOnDemandAfter == null) {
                return;
            }
            ObjectNode retry = b.putObject("retry");
            if (retryAttempts != null) {
                retry.put("attempts", retryAttempts);
            }
            if (retryOnDemandAfter != null) {
                retry.put("on_demand_after", retryOnDemandAfter);
            }
            com.fasterxml.jackson.databind.node.ArrayNode rules = retry.putArray("rules");
            for (String text : retryRules) {
                String[] parts = text.split(":", 3);
                if (parts.length < 2) {
                    throw usage("--retry-rule must be ACTION:ON[:ARG], e.g. retry:spot-interrupted or retry:exit-code:1-5,137; not '" + text + "'");
                }
                ObjectNode rule = rules.addObject();
                rule.put("on", parts[1].trim());
                rule.put("action", parts[0].trim());
                if (parts.length == 3) {
                    rule.put(parts[1].trim().equals("status-info") ? "pattern" : "codes", parts[2].trim());
                }
            }
        }

        private static void putIfGiven(ObjectNode b, String field, String value) {
            if (value != null) {
                b.put(field, value);
            }
        }
    }

    @Command(name = "get", description = "Show one session.")
    static final class Get extends ApiCommand {
        @Parameters(paramLabel = "ID", description = "The session id.")
        String id;

        @Option(names = "--json", description = "Print the session as JSON.")
        boolean json;

        @Override
        public Integer call() {
            JsonNode session = api().get(path(id));
            return show(session, json, SessionText::block);
        }
    }

    @Command(name = "destroy", description = {
        "Destroy a session: a pending one is cancelled, a running one terminates.",
        "SCHEDULED, PREPARING, TERMINATING and ERROR sessions need --forced."})
    static final class Destroy extends ApiCommand {
        @Parameters(paramLabel = "ID", description = "The session id.")
        String id;

        @Option(names = "--forced", description = "End it at once, whatever it is doing.")
        boolean forced;

        @Option(names = "--json", description = "Print the session after the change as JSON.")
        boolean json;

        @Override
        public Integer call() {
            Map<String, String> query = forced ? Map.of("forced", "true") : Map.of();
            JsonNode session = api().send("DELETE", path(id), query, null, Map.of());
            return show(session, json, SessionText::block);
        }
    }

    @Command(name = "logs", description = {
        "The last lines of a session's output (stdout and stderr), as its agent last uploaded them",
        "(every heartbeat while it runs, and once more when it ends)."})
    static final class Logs extends ApiCommand {
        @Parameters(paramLabel = "ID", description = "The session id.")
        String id;

        @Option(names = {"-n", "--lines"}, description = "How many lines, from the end (default: ${DEFAULT-VALUE}).",
                defaultValue = "100")
        int lines;

        @Override
        public Integer call() {
            JsonNode logs = api().get(path(id) + "/logs", Map.of("lines", Integer.toString(lines)));
            if (!logs.path("available").asBoolean()) {
                err().println("no output yet: the session's agent has not uploaded any");
                return Sluice.EXIT_OK;
            }
            out().print(logs.path("text").asText());
            return Sluice.EXIT_OK;
        }
    }

    @Command(name = "history", description = "The statuses a session went through, oldest first.")
    static final class History extends ApiCommand {
        @Parameters(paramLabel = "ID", description = "The session id.")
        String id;

        @Option(names = "--json", description = "Print the history as JSON.")
        boolean json;

        @Override
        public Integer call() {
            JsonNode history = api().get(path(id) + "/history");
            if (json) {
                printJson(history);
                return Sluice.EXIT_OK;
            }
            RelativeTime relative = relative();
            Table table = new Table("STATUS", "AT", "WHEN");
            for (JsonNode change : history.path("items")) {
                String at = SessionText.text(change, "at");
                table.row(SessionText.text(change, "status"), RelativeTime.toSecond(at), relative.since(at));
            }
            out().print(table);
            return Sluice.EXIT_OK;
        }
    }

    @Command(name = "events", description = {
        "The status changes of a session, one line each: time, status, reason.",
        "With --follow, keeps polling and prints each change until the session is TERMINATED, CANCELLED or ERROR "
            + "(Ctrl-C stops it)."})
    static final class Events extends ApiCommand {
        @Parameters(paramLabel = "ID", description = "The session id.")
        String id;

        @Option(names = {"-f", "--follow"}, description = "Keep printing changes until the session ends.")
        boolean follow;

        @Option(names = "--interval", paramLabel = "SECONDS", defaultValue = "2",
                description = "Seconds between polls with --follow (default: ${DEFAULT-VALUE}).")
        double interval;

        @Override
        public Integer call() throws InterruptedException {
            if (!(interval > 0)) {
                throw usage("--interval must be more than 0 seconds.");
            }
            SluiceApi api = api();
            JsonNode session = api.get(path(id));
            int printed = 0;
            String lastReason = "";
            while (true) {
                JsonNode history = session.path("status_history");
                String reason = StatusReason.of(session);
                for (int i = printed; i < history.size(); i++) {
                    boolean latest = i == history.size() - 1;
                    out().println(SessionText.event(SessionText.text(history.get(i), "at"),
                            SessionText.text(history.get(i), "status"), latest ? reason : ""));
                }
                if (history.size() == printed && !reason.equals(lastReason)) {
                    out().println(SessionText.event(root().invocation().clock().instant().toString(),
                            SessionText.text(session, "status"), reason));
                }
                out().flush();
                printed = history.size();
                lastReason = reason;
                if (!follow || SessionText.FINAL.contains(SessionText.text(session, "status"))) {
                    return Sluice.EXIT_OK;
                }
                root().invocation().pause().sleep(Duration.ofMillis(Math.round(interval * 1000)));
                session = api.get(path(id));
            }
        }
    }
}
