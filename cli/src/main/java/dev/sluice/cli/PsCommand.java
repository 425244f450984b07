package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice ps}: sessions, newest first, following the API's pages up to the limit. */
@Command(name = "ps", description = {
    "List your sessions, newest first: by default the active ones (every status but TERMINATED and CANCELLED).",
    "REASON says why a session is where it is, e.g. why a pending session waits."})
final class PsCommand extends ApiCommand {
    static final List<String> ACTIVE = List.of("PENDING", "SCHEDULED", "PULLING", "PREPARING", "RUNNING", "RESTARTING",
            "RUNNING_DEGRADED", "TERMINATING", "ERROR");
    static final int MAX_PAGE = 200;

    @ArgGroup(exclusive = true)
    Which which;

    static final class Which {
        @Option(names = "--status", split = ",", paramLabel = "STATUS", description = "Only these statuses (comma-separated).")
        List<String> statuses;

        @Option(names = "--running", description = "Only RUNNING, RESTARTING and RUNNING_DEGRADED.")
        boolean running;

        @Option(names = "--dead", description = "Only TERMINATED, CANCELLED and ERROR.")
        boolean dead;
    }

    @ArgGroup(exclusive = true)
    Whose whose;

    static final class Whose {
        @Option(names = "--all", description = "Everybody's sessions (admins).")
        boolean all;

        @Option(names = "--owner", paramLabel = "SUB", description = "The sessions of one user (admins).")
        String owner;
    }

    @Option(names = "--group", paramLabel = "GROUP", description = "Only sessions of this resource group.")
    String group;

    @Option(names = "--name", paramLabel = "NAME", description = "Only sessions with this name.")
    String name;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "50", description = "At most N sessions (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--json", description = "Print the sessions as a JSON array.")
    boolean json;

    @Override
    public Integer call() {
        if (limit < 1) {
            throw usage("--limit must be at least 1.");
        }
        SluiceApi api = api();
        ArrayNode sessions = Json.MAPPER.createArrayNode();
        String cursor = null;
        boolean more;
        do {
            Map<String, String> query = query(Math.min(limit - sessions.size(), MAX_PAGE));
            if (cursor != null) {
                query.put("cursor", cursor);
            }
            JsonNode page = api.get("/sessions", query);
            for (JsonNode s : page.path("items")) {
                if (sessions.size() < limit) {
                    sessions.add(s);
                }
            }
            cursor = page.path("next_cursor").isTextual() ? page.path("next_cursor").asText() : null;
            more = cursor != null && !page.path("items").isEmpty();
        } while (more && sessions.size() < limit);

        if (json) {
            printJson(sessions);
            return Sluice.EXIT_OK;
        }
        boolean withOwner = whose != null;
        Table table = SessionText.table(withOwner);
        RelativeTime relative = relative();
        sessions.forEach(s -> SessionText.addRow(table, s, relative, withOwner));
        out().print(table);
        if (more) {
            err().println("(the first " + limit + " shown; --limit N shows more)");
        }
        return Sluice.EXIT_OK;
    }

    /** The query of one page: which statuses, whose, which group and name, how many. */
    Map<String, String> query(int pageSize) {
        Map<String, String> q = new LinkedHashMap<>();
        if (which != null && which.running) {
            q.put("running", "true");
        } else if (which != null && which.dead) {
            q.put("dead", "true");
        } else {
            List<String> statuses = which != null && which.statuses != null ? which.statuses : ACTIVE;
            q.put("status", statuses.stream().map(s -> s.trim().toUpperCase(Locale.ROOT)).collect(Collectors.joining(",")));
        }
        if (whose != null && whose.all) {
            q.put("all", "true");
        } else if (whose != null && whose.owner != null) {
            q.put("owner", whose.owner);
        }
        if (group != null) {
            q.put("resource_group", group);
        }
        if (name != null) {
            q.put("name", name);
        }
        q.put("limit", Integer.toString(pageSize));
        return q;
    }
}
