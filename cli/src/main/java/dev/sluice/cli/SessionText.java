package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** How a session reads in a terminal: a row of {@code ps}, a key/value block, a line of events. */
final class SessionText {
    static final List<String> FINAL = List.of("TERMINATED", "CANCELLED", "ERROR");

    private SessionText() {
    }

    static String shortId(String id) {
        return id.length() > 8 ? id.substring(0, 8) : id;
    }

    static Table table(boolean withOwner) {
        List<String> headers = new ArrayList<>(List.of("ID", "NAME", "TYPE", "STATUS", "GROUP", "SLOTS", "CREATED", "REASON"));
        if (withOwner) {
            headers.add(1, "OWNER");
        }
        return new Table(headers.toArray(String[]::new));
    }

    static void addRow(Table table, JsonNode s, RelativeTime relative, boolean withOwner) {
        List<String> cells = new ArrayList<>(List.of(
                shortId(s.path("id").asText()),
                text(s, "name"),
                text(s, "type"),
                text(s, "status"),
                text(s, "resource_group"),
                SlotText.format(s.path("resource_slots")),
                relative.since(text(s, "created_at")),
                StatusReason.of(s)));
        if (withOwner) {
            cells.add(1, text(s, "owner"));
        }
        table.row(cells.toArray(String[]::new));
    }

    static String block(JsonNode s, RelativeTime relative) {
        String reason = StatusReason.of(s);
        Fields f = new Fields()
                .add("ID", text(s, "id"))
                .add("Name", text(s, "name"))
                .add("Owner", text(s, "owner"))
                .add("Type", text(s, "type"))
                .add("Image", text(s, "image"))
                .add("Group", text(s, "resource_group"))
                .add("Status", text(s, "status") + (reason.isBlank() ? "" : " (" + reason + ")"))
                .add("Slots", SlotText.format(s.path("resource_slots")));
        if (!s.path("occupied_slots").isEmpty()) {
            f.add("Occupied", SlotText.format(s.path("occupied_slots")));
        }
        f.add("Agent", text(s, "agent_id"))
                .add("Priority", text(s, "priority"))
                .add("Command", text(s, "startup_command"))
                .add("Starts at", when(text(s, "starts_at"), relative))
                .add("Batch timeout", s.path("batch_timeout").isNumber() ? s.path("batch_timeout").asText() + "s" : "")
                .add("Depends on", join(s.path("dependencies")))
                .add("Tags", join(s.path("tags")));
        if (!text(s, "result").equals("UNDEFINED")) {
            f.add("Result", text(s, "result"));
        }
        if (s.path("retry").isObject()) {
            List<String> rules = new ArrayList<>();
            s.path("retry").path("rules").forEach(r -> rules.add(text(r, "action") + " on " + text(r, "on")
                    + (r.has("codes") ? " " + text(r, "codes") : "") + (r.has("pattern") ? " " + text(r, "pattern") : "")));
            f.add("Retry", s.path("retry").path("attempts").asText() + " attempts; " + String.join(", ", rules)
                    + (s.path("retry").has("on_demand_after") ? "; on-demand only after " + s.path("retry").path("on_demand_after").asText()
                    + " spot interruptions" : ""));
            if (s.path("on_demand_only").asBoolean(false)) {
                f.add("Capacity", "on-demand only (interrupted on spot too often)");
            }
            f.add("Attempt", s.path("attempt").isNumber() ? s.path("attempt").asText() + " of " + s.path("retry").path("attempts").asText() : "");
        }
        for (JsonNode a : s.path("attempts")) {
            f.add("Attempt " + a.path("number").asText(), attempt(a, relative));
        }
        return f.add("Created", when(text(s, "created_at"), relative))
                .add("Started", when(text(s, "started_at"), relative))
                .add("Terminated", when(text(s, "terminated_at"), relative))
                .toString();
    }

    /** One ended attempt: {@code ERROR spot-interrupted on i-0abc (instance), ended 2026-... (5m ago); <what the rules made of it>}. */
    static String attempt(JsonNode a, RelativeTime relative) {
        String where = text(a, "agent_id").isBlank() ? "" : " on " + text(a, "agent_id");
        String exit = a.path("exit_code").isNumber() ? " exit " + a.path("exit_code").asText() : "";
        return text(a, "status") + " " + text(a, "status_info") + exit + where + ", ended " + when(text(a, "ended_at"), relative)
                + "; " + text(a, "reason");
    }

    /** {@code 2026-01-02T03:04:05Z (5m ago)}. */
    static String when(String timestamp, RelativeTime relative) {
        return timestamp.isBlank() ? "" : RelativeTime.toSecond(timestamp) + " (" + relative.since(timestamp) + ")";
    }

    /** One line of {@code session events}: time, status, reason. */
    static String event(String at, String status, String reason) {
        return (RelativeTime.toSecond(at) + "  " + String.format("%-16s", status) + "  " + reason).stripTrailing();
    }

    static String text(JsonNode node, String field) {
        JsonNode v = node.path(field);
        return v.isNull() || v.isMissingNode() ? "" : v.asText();
    }

    private static String join(JsonNode array) {
        List<String> items = new ArrayList<>();
        array.forEach(i -> items.add(i.asText()));
        return String.join(", ", items);
    }
}
