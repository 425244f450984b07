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

/** {@code sluice resource-group}: the groups sessions run in; admins create and change them. */
@Command(name = "resource-group", aliases = "rg", description = "List and inspect resource groups; admins create and update them.",
        subcommands = {
            ResourceGroupCommand.ListGroups.class,
            ResourceGroupCommand.Get.class,
            ResourceGroupCommand.Create.class,
            ResourceGroupCommand.Update.class,
            FleetCommand.class})
final class ResourceGroupCommand implements Callable<Integer> {
    static final List<String> SCHEDULERS = List.of("fifo", "lifo", "drf");
    static final List<String> STRATEGIES = List.of("dispersed", "concentrated", "roundrobin", "legacy");

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Sluice.EXIT_SETUP;
    }

    static String path(String name) {
        return "/resource-groups/" + SluiceApi.segment(name);
    }

    static String block(JsonNode g, RelativeTime relative) {
        JsonNode options = g.path("scheduler_options");
        Fields f = new Fields()
                .add("Name", SessionText.text(g, "name"))
                .add("Description", SessionText.text(g, "description"))
                .add("Active", yesNo(g.path("active")))
                .add("Public", yesNo(g.path("is_public")))
                .add("Scheduler", SessionText.text(g, "scheduler"))
                .add("Accepts", accepts(options))
                .add("Pending timeout", pendingTimeout(options))
                .add("Strategy", SessionText.text(options, "agent_selection_strategy"));
        if (!options.path("config").isEmpty()) {
            f.add("Config", options.path("config").toString());
        }
        return f.add("Created", SessionText.when(SessionText.text(g, "created_at"), relative))
                .add("Updated", SessionText.when(SessionText.text(g, "updated_at"), relative))
                .toString();
    }

    static String yesNo(JsonNode flag) {
        return flag.isBoolean() ? (flag.asBoolean() ? "yes" : "no") : "";
    }

    static String accepts(JsonNode options) {
        List<String> types = new ArrayList<>();
        options.path("allowed_session_types").forEach(t -> types.add(t.asText()));
        return String.join(",", types);
    }

    /** {@code 30m}; a timeout of zero never cancels, so it reads "never". */
    static String pendingTimeout(JsonNode options) {
        String t = SessionText.text(options, "pending_timeout");
        return t.equals("0") || t.equals("0s") ? "never" : t;
    }

    @Command(name = "list", aliases = "ls", description = "The groups you may use (admins: all), with the session types each accepts.")
    static final class ListGroups extends ApiCommand {
        @Option(names = "--json", description = "Print the groups as a JSON array.")
        boolean json;

        @Override
        public Integer call() {
            JsonNode groups = api().get("/resource-groups").path("items");
            if (json) {
                printJson(groups);
                return Sluice.EXIT_OK;
            }
            Table table = new Table("NAME", "ACTIVE", "SCHEDULER", "ACCEPTS", "PENDING-TIMEOUT", "DESCRIPTION");
            for (JsonNode g : groups) {
                JsonNode options = g.path("scheduler_options");
                table.row(SessionText.text(g, "name"), yesNo(g.path("active")), SessionText.text(g, "scheduler"),
                        accepts(options), pendingTimeout(options), SessionText.text(g, "description"));
            }
            out().print(table);
            return Sluice.EXIT_OK;
        }
    }

    @Command(name = "get", description = "Show one resource group.")
    static final class Get extends ApiCommand {
        @Parameters(paramLabel = "NAME", description = "The group's name.")
        String name;

        @Option(names = "--json", description = "Print the group as JSON.")
        boolean json;

        @Override
        public Integer call() {
            JsonNode group = api().get(path(name));
            return show(group, json, ResourceGroupCommand::block);
        }
    }

    /** The settings of a group, as flags; only those given are sent. */
    static final class Settings {
        @Option(names = "--description", paramLabel = "TEXT", description = "What the group is for.")
        String description;

        @Option(names = "--scheduler", paramLabel = "KIND", description = "fifo, lifo or drf.")
        String scheduler;

        @Option(names = "--allow", split = ",", paramLabel = "TYPE", description = "The session types it accepts: interactive,batch,inference.")
        List<String> allow;

        @Option(names = "--pending-timeout", paramLabel = "DURATION", description = "Cancel sessions pending longer (30m, 2h; 0 never).")
        String pendingTimeout;

        @Option(names = "--strategy", paramLabel = "STRATEGY", description = "Agent selection: dispersed, concentrated, roundrobin or legacy.")
        String strategy;

        @Option(names = "--inactive", description = "Accept no new sessions.")
        boolean inactive;

        @Option(names = "--active", description = "Accept new sessions.")
        boolean active;

        @Option(names = "--private", description = "Hidden from users who are not admins.")
        boolean hidden;

        @Option(names = "--public", description = "Visible to every user.")
        boolean visible;

        /** The request body of the flags given; usage errors (exit 2) for values the API would refuse anyway. */
        ObjectNode body(ApiCommand command) {
            if (inactive && active) {
                throw command.usage("--active and --inactive are mutually exclusive.");
            }
            if (hidden && visible) {
                throw command.usage("--public and --private are mutually exclusive.");
            }
            ObjectNode b = Json.MAPPER.createObjectNode();
            if (description != null) {
                b.put("description", description);
            }
            if (inactive || active) {
                b.put("active", active);
            }
            if (hidden || visible) {
                b.put("is_public", visible);
            }
            if (scheduler != null) {
                b.put("scheduler", command.oneOf("--scheduler", scheduler, SCHEDULERS));
            }
            ObjectNode options = Json.MAPPER.createObjectNode();
            if (allow != null) {
                var types = options.putArray("allowed_session_types");
                allow.forEach(t -> types.add(command.oneOf("--allow", t.trim(), SessionCommand.TYPES)));
            }
            if (pendingTimeout != null) {
                options.put("pending_timeout", pendingTimeout);
            }
            if (strategy != null) {
                options.put("agent_selection_strategy", command.oneOf("--strategy", strategy, STRATEGIES));
            }
            if (!options.isEmpty()) {
                b.set("scheduler_options", options);
            }
            return b;
        }
    }

    @Command(name = "create", description = "Create a resource group (admins); a taken name is refused.")
    static final class Create extends ApiCommand {
        @Parameters(paramLabel = "NAME", description = "Lowercase letters, digits, '.', '_' and '-'.")
        String name;

        @Mixin
        Settings settings;

        @Option(names = "--json", description = "Print the group as JSON.")
        boolean json;

        @Override
        public Integer call() {
            ObjectNode body = Json.MAPPER.createObjectNode().put("name", name);
            body.setAll(settings.body(this));
            JsonNode group = api().send("POST", "/resource-groups", Map.of(), body, Map.of());
            return show(group, json, ResourceGroupCommand::block);
        }
    }

    @Command(name = "update", description = "Change some settings of a resource group (admins); only the flags given change.")
    static final class Update extends ApiCommand {
        @Parameters(paramLabel = "NAME", description = "The group's name.")
        String name;

        @Mixin
        Settings settings;

        @Option(names = "--json", description = "Print the group as JSON.")
        boolean json;

        @Override
        public Integer call() {
            ObjectNode body = settings.body(this);
            if (body.isEmpty()) {
                throw usage("Nothing to update: give at least one setting (see --help).");
            }
            JsonNode group = api().send("PATCH", path(name), Map.of(), body, Map.of());
            return show(group, json, ResourceGroupCommand::block);
        }
    }
}
