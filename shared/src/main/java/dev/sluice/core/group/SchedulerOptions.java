package dev.sluice.core.group;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.session.SessionType;
import dev.sluice.core.time.DurationText;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A resource group's scheduler options (REFERENCE §3), always valid once built: they are parsed through
 * {@link #parse} both when an admin writes them and when they are read back from storage.
 */
public record SchedulerOptions(
        List<SessionType> allowedSessionTypes,
        Duration pendingTimeout,
        AgentSelectionStrategy agentSelectionStrategy,
        Map<String, Object> config) {

    public static final String FIELD = "scheduler_options";
    private static final Set<String> KNOWN = Set.of("allowed_session_types", "pending_timeout", "agent_selection_strategy", "config");
    private static final Set<String> KNOWN_CONFIG = Set.of("num_retries_to_skip");

    public SchedulerOptions {
        allowedSessionTypes = List.copyOf(allowedSessionTypes);
        config = Map.copyOf(config);
        if (allowedSessionTypes.isEmpty()) {
            throw new IllegalArgumentException("allowed_session_types must not be empty");
        }
    }

    public static SchedulerOptions defaults() {
        return new SchedulerOptions(List.of(SessionType.INTERACTIVE, SessionType.BATCH, SessionType.INFERENCE),
                Duration.ZERO, AgentSelectionStrategy.DISPERSED, Map.of());
    }

    public boolean accepts(SessionType type) {
        return allowedSessionTypes.contains(type);
    }

    /**
     * Parses options, naming the offending field by its path in {@code f} ({@code scheduler_options.<field>} when read as
     * {@code RequestFields.of(options).at(FIELD)}); missing fields take defaults.
     */
    public static SchedulerOptions parse(RequestFields f) {
        f.refuseUnknownOrNull(KNOWN);
        SchedulerOptions d = defaults();

        List<SessionType> types = d.allowedSessionTypes();
        if (f.raw().containsKey("allowed_session_types")) {
            List<String> names = f.optionalStringList("allowed_session_types")
                    .orElseThrow(() -> DomainException.invalid(f.path("allowed_session_types"), "must be a non-empty list"));
            if (names.isEmpty()) {
                throw DomainException.invalid(f.path("allowed_session_types"), "must not be empty");
            }
            Set<SessionType> parsed = new LinkedHashSet<>();
            for (String n : names) {
                parsed.add(SessionType.fromWire(n).orElseThrow(() -> DomainException.invalid(f.path("allowed_session_types"),
                        "must list only interactive, batch or inference, not '" + n + "'")));
            }
            types = new ArrayList<>(parsed);
        }

        Duration timeout = d.pendingTimeout();
        if (f.raw().containsKey("pending_timeout")) {
            String text = f.optionalDurationText("pending_timeout")
                    .orElseThrow(() -> DomainException.invalid(f.path("pending_timeout"), "must be a duration such as 0, 600, 90s, 30m or 2h"));
            timeout = DurationText.parse(text).orElseThrow(() -> DomainException.invalid(f.path("pending_timeout"),
                    "must be 0 (disabled), a number of seconds, or a duration such as 90s, 30m or 2h (at most a year), not '" + text + "'"));
        }

        AgentSelectionStrategy strategy = d.agentSelectionStrategy();
        if (f.raw().containsKey("agent_selection_strategy")) {
            String s = f.optionalString("agent_selection_strategy")
                    .orElseThrow(() -> DomainException.invalid(f.path("agent_selection_strategy"), "must be a string"));
            strategy = AgentSelectionStrategy.fromWire(s).orElseThrow(() -> DomainException.invalid(f.path("agent_selection_strategy"),
                    "must be dispersed, concentrated, roundrobin or legacy, not '" + s + "'"));
        }

        Map<String, Object> config = new LinkedHashMap<>();
        if (f.has("config")) {
            RequestFields c = f.optionalObject("config").orElseThrow();
            c.refuseUnknownOrNull(KNOWN_CONFIG);
            c.optionalInt("num_retries_to_skip", 0, 1000).ifPresent(n -> config.put("num_retries_to_skip", n));
        }
        return new SchedulerOptions(types, timeout, strategy, config);
    }

    /** The wire and storage form, which {@link #parse} reads back unchanged. */
    public Map<String, Object> toMap() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("allowed_session_types", allowedSessionTypes.stream().map(SessionType::wireName).toList());
        out.put("pending_timeout", DurationText.format(pendingTimeout));
        out.put("agent_selection_strategy", agentSelectionStrategy.wireName());
        out.put("config", config);
        return out;
    }
}
