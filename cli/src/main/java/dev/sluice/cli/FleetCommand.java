package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sluice resource-group fleet}: a group's instance catalog for its elastic fleet (admins). */
@Command(name = "fleet", description = "Show or replace a group's instance catalog: the EC2 types its fleet may launch (admins).",
        subcommands = {FleetCommand.Show.class, FleetCommand.Set.class})
final class FleetCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Sluice.EXIT_SETUP;
    }

    static String path(String group) {
        return ResourceGroupCommand.path(group) + "/fleet";
    }

    /** The catalog as a few fields and one table row per instance type. */
    static String block(JsonNode c, RelativeTime relative) {
        List<String> subnets = new ArrayList<>();
        c.path("subnets").forEach(s -> subnets.add(SessionText.text(s, "zone") + "=" + SessionText.text(s, "subnet_id")));
        String fields = new Fields()
                .add("Group", SessionText.text(c, "resource_group"))
                .add("Instances", SessionText.text(c, "min_instances") + " to " + SessionText.text(c, "max_instances"))
                .add("Idle before retiring", SessionText.text(c, "idle_duration"))
                .add("Right-sizing", c.path("right_sizing").asBoolean(true) ? "on (an empty instance takes no session a cheaper type holds)" : "off")
                .add("Subnets", String.join(", ", subnets))
                .add("Price source", SessionText.text(c, "price_source"))
                .toString();
        Table table = new Table("TYPE", "SLOTS", "BUY", "SPOT $/H", "ON-DEMAND $/H", "MAX", "ZONES");
        for (JsonNode t : c.path("instance_types")) {
            List<String> options = new ArrayList<>();
            t.path("purchase_options").forEach(o -> options.add(o.asText()));
            List<String> zones = new ArrayList<>();
            t.path("zones").forEach(z -> zones.add(z.asText()));
            table.row(SessionText.text(t, "name"), SlotText.format(t.path("slots")), String.join(",", options),
                    t.has("spot_price") ? SessionText.text(t, "spot_price") : "-",
                    t.has("on_demand_price") ? SessionText.text(t, "on_demand_price") : "-",
                    SessionText.text(t, "max_instances"), zones.isEmpty() ? "all" : String.join(",", zones));
        }
        return fields + "\n" + table;
    }

    @Command(name = "show", description = "Show a group's instance catalog.")
    static final class Show extends ApiCommand {
        @Parameters(paramLabel = "GROUP", description = "The group's name.")
        String group;

        @Option(names = "--json", description = "Print the catalog as JSON.")
        boolean json;

        @Override
        public Integer call() {
            return show(api().get(path(group)), json, FleetCommand::block);
        }
    }

    @Command(name = "set", description = "Replace a group's instance catalog with the JSON definition in a file (see the OpenAPI FleetCatalogRequest).")
    static final class Set extends ApiCommand {
        @Parameters(paramLabel = "GROUP", description = "The group's name.")
        String group;

        @Option(names = {"-f", "--file"}, required = true, paramLabel = "FILE", description = "The catalog as JSON.")
        Path file;

        @Option(names = "--json", description = "Print the stored catalog as JSON.")
        boolean json;

        @Override
        public Integer call() {
            JsonNode body;
            try {
                body = Json.MAPPER.readTree(Files.readString(file));
            } catch (IOException e) {
                throw usage("Cannot read the catalog from " + file + ": " + e.getMessage());
            }
            if (body == null || !body.isObject()) {
                throw usage("The catalog in " + file + " must be a JSON object.");
            }
            return show(api().send("PUT", path(group), Map.of(), body, Map.of()), json, FleetCommand::block);
        }
    }
}
