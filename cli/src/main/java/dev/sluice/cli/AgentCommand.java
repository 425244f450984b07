package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sluice agent}: the GPU hosts, their capacity and liveness; admins drain them. */
@Command(name = "agent", description = "List and inspect agents (admin); drain one or make it schedulable again.",
        subcommands = {AgentCommand.ListAgents.class, AgentCommand.Get.class, AgentCommand.Drain.class, AgentCommand.Undrain.class})
final class AgentCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Sluice.EXIT_SETUP;
    }

    static String path(String id) {
        return "/agents/" + SluiceApi.segment(id);
    }

    static String block(JsonNode a, RelativeTime relative) {
        Fields f = new Fields()
                .add("ID", SessionText.text(a, "id"))
                .add("Group", SessionText.text(a, "resource_group"))
                .add("Status", SessionText.text(a, "status"))
                .add("Schedulable", ResourceGroupCommand.yesNo(a.path("schedulable")))
                .add("Capacity", SlotText.format(a.path("available_slots")))
                .add("Occupied", SlotText.format(a.path("occupied_slots")))
                .add("Free", SlotText.format(a.path("free_slots")))
                .add("Version", SessionText.text(a, "version"))
                .add("Architecture", SessionText.text(a, "architecture"));
        a.path("compute_plugins").fields().forEachRemaining(e -> f.add("  " + e.getKey(), e.getValue().asText()));
        return f.add("First contact", SessionText.when(SessionText.text(a, "first_contact"), relative))
                .add("Last heartbeat", SessionText.when(SessionText.text(a, "last_heartbeat"), relative))
                .toString();
    }

    @Command(name = "list", aliases = "ls", description = "Every agent, or those of one resource group.")
    static final class ListAgents extends ApiCommand {
        @Option(names = {"-g", "--group"}, description = "Only this resource group.")
        String group;

        @Option(names = "--json", description = "Print the answer as JSON.")
        boolean json;

        @Override
        public Integer call() {
            JsonNode page = api().get("/agents", group == null ? Map.of() : Map.of("resource_group", group));
            if (json) {
                printJson(page);
                return Sluice.EXIT_OK;
            }
            RelativeTime relative = relative();
            Table table = new Table("ID", "GROUP", "STATUS", "SCHEDULABLE", "FREE", "CAPACITY", "HEARTBEAT");
            for (JsonNode a : page.path("items")) {
                table.row(SessionText.text(a, "id"), SessionText.text(a, "resource_group"), SessionText.text(a, "status"),
                        ResourceGroupCommand.yesNo(a.path("schedulable")), SlotText.format(a.path("free_slots")),
                        SlotText.format(a.path("available_slots")), relative.since(SessionText.text(a, "last_heartbeat")));
            }
            out().print(table);
            return Sluice.EXIT_OK;
        }
    }

    @Command(name = "get", description = "One agent: capacity, occupancy, GPUs, liveness.")
    static final class Get extends ApiCommand {
        @Parameters(paramLabel = "ID", description = "The agent id (the EC2 instance id on AWS).")
        String id;

        @Option(names = "--json", description = "Print the agent as JSON.")
        boolean json;

        @Override
        public Integer call() {
            JsonNode agent = api().get(path(id));
            return show(agent, json, AgentCommand::block);
        }
    }

    @Command(name = "drain", description = "No new sessions go to the agent; those running there go on.")
    static final class Drain extends ApiCommand {
        @Parameters(paramLabel = "ID", description = "The agent id.")
        String id;

        @Override
        public Integer call() {
            out().print(block(api().send("PATCH", path(id), Map.of(), Json.MAPPER.createObjectNode().put("schedulable", false), Map.of()), relative()));
            return Sluice.EXIT_OK;
        }
    }

    @Command(name = "undrain", description = "The scheduler may place sessions on the agent again.")
    static final class Undrain extends ApiCommand {
        @Parameters(paramLabel = "ID", description = "The agent id.")
        String id;

        @Override
        public Integer call() {
            out().print(block(api().send("PATCH", path(id), Map.of(), Json.MAPPER.createObjectNode().put("schedulable", true), Map.of()), relative()));
            return Sluice.EXIT_OK;
        }
    }
}
