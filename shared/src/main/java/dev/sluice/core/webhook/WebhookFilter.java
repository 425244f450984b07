package dev.sluice.core.webhook;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.json.JsonObject;
import dev.sluice.core.json.JsonValue;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.session.SessionType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a subscription receives. Event types select the kinds of event; {@code statuses}, {@code resource_groups},
 * {@code session_types} and {@code session_ids} narrow session events only (an empty list means "any").
 * Task events are narrowed by the owner alone.
 */
public record WebhookFilter(Set<WebhookEventType> eventTypes, List<String> statuses, List<String> resourceGroups,
                            List<String> sessionTypes, List<String> sessionIds) {
    public static final int MAX_VALUES = 50;
    private static final Set<String> KNOWN = Set.of("statuses", "resource_groups", "session_types", "session_ids");

    public WebhookFilter {
        eventTypes = Set.copyOf(eventTypes);
        statuses = List.copyOf(statuses);
        resourceGroups = List.copyOf(resourceGroups);
        sessionTypes = List.copyOf(sessionTypes);
        sessionIds = List.copyOf(sessionIds);
    }

    public static WebhookFilter everything() {
        return new WebhookFilter(Set.of(WebhookEventType.values()), List.of(), List.of(), List.of(), List.of());
    }

    /** Reads {@code event_types} (list) and {@code filter} (object) from a request; absent means "everything". */
    public static WebhookFilter parse(RequestFields fields, WebhookFilter base) {
        Set<WebhookEventType> types = base.eventTypes;
        if (fields.has("event_types")) {
            List<String> names = fields.optionalStringList("event_types").orElseThrow();
            if (names.isEmpty()) {
                throw DomainException.invalid("event_types", "must name at least one event type");
            }
            Set<WebhookEventType> parsed = new LinkedHashSet<>();
            for (int i = 0; i < names.size(); i++) {
                parsed.add(WebhookEventType.parse("event_types[" + i + "]", names.get(i)));
            }
            types = parsed;
        }
        if (!fields.has("filter")) {
            return new WebhookFilter(types, base.statuses, base.resourceGroups, base.sessionTypes, base.sessionIds);
        }
        RequestFields f = fields.optionalObject("filter").orElseThrow();
        f.refuseUnknownOrNull(KNOWN);
        List<String> statuses = list(f, "statuses");
        for (int i = 0; i < statuses.size(); i++) {
            String s = statuses.get(i);
            try {
                SessionStatus.valueOf(s);
            } catch (IllegalArgumentException e) {
                throw DomainException.invalid(f.path("statuses") + "[" + i + "]", "must be a session status such as PENDING, RUNNING or TERMINATED");
            }
        }
        List<String> types2 = list(f, "session_types");
        for (int i = 0; i < types2.size(); i++) {
            String t = types2.get(i);
            if (java.util.Arrays.stream(SessionType.values()).noneMatch(v -> v.wireName().equals(t))) {
                throw DomainException.invalid(f.path("session_types") + "[" + i + "]", "must be interactive, batch or inference");
            }
        }
        List<String> groups = list(f, "resource_groups");
        List<String> ids = list(f, "session_ids");
        return new WebhookFilter(types, statuses, groups, types2, ids);
    }

    private static List<String> list(RequestFields f, String field) {
        List<String> values = f.optionalStringList(field).orElse(List.of());
        if (values.size() > MAX_VALUES) {
            throw DomainException.invalid(f.path(field), "must have at most " + MAX_VALUES + " values");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            String v = values.get(i);
            if (v.isBlank() || v.length() > 256) {
                throw DomainException.invalid(f.path(field) + "[" + i + "]", "must be a non-empty string of at most 256 characters");
            }
            if (!out.contains(v)) {
                out.add(v);
            }
        }
        return out;
    }

    /**
     * The EventBridge event pattern of this filter for one owner's events. The owner is always in it, so a
     * subscription can only ever match its owner's sessions and tasks.
     */
    public JsonObject eventPattern(String owner) {
        List<Map<String, Object>> branches = new ArrayList<>();
        for (WebhookEventType type : WebhookEventType.values()) {
            if (!eventTypes.contains(type)) {
                continue;
            }
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("owner", List.of(owner));
            if (type == WebhookEventType.SESSION_STATUS_CHANGED) {
                putIfAny(detail, "status", statuses);
                putIfAny(detail, "resource_group", resourceGroups);
                putIfAny(detail, "session_type", sessionTypes);
                putIfAny(detail, "session_id", sessionIds);
            }
            Map<String, Object> branch = new LinkedHashMap<>();
            branch.put("source", List.of(type.source()));
            branch.put("detail-type", List.of(type.detailType()));
            branch.put("detail", detail);
            branches.add(branch);
        }
        return (JsonObject) JsonValue.of(branches.size() == 1 ? branches.get(0) : Map.of("$or", branches));
    }

    private static void putIfAny(Map<String, Object> detail, String key, List<String> values) {
        if (!values.isEmpty()) {
            detail.put(key, values);
        }
    }

    /** An upper bound of the length of {@link #eventPattern}'s JSON, escapes included. */
    public int patternSizeBound(String owner) {
        int size = 300 + eventTypes.size() * (jsonLength(owner) + 120);
        for (List<String> values : List.of(statuses, resourceGroups, sessionTypes, sessionIds)) {
            for (String v : values) {
                size += jsonLength(v) + 1;
            }
        }
        return size;
    }

    private static int jsonLength(String v) {
        int n = 2;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            n += c < 0x20 || c == 0x2028 || c == 0x2029 ? 6 : (c == '"' || c == '\\' ? 2 : 1);
        }
        return n;
    }

    public List<String> eventTypeNames() {
        return java.util.Arrays.stream(WebhookEventType.values()).filter(eventTypes::contains).map(WebhookEventType::wireName).toList();
    }
}
