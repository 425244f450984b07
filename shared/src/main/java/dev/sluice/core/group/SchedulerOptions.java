package dev.sluice.core.group;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.session.SessionType;
import dev.sluice.core.time.DurationText;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A resource group's scheduler options (REFERENCE §3), always valid once built: they are parsed through
 * {@link #parse} both when an admin writes them and when they are read back from storage.
 */
public record SchedulerOptions(
        List<SessionType> allowedSessionTypes,
        Duration pendingTimeout,
        AgentSelectionStrategy agentSelectionStrategy,
        Config config) {

    public static final String FIELD = "scheduler_options";
    private static final Set<String> KNOWN = Set.of("allowed_session_types", "pending_timeout", "agent_selection_strategy", "config");
    private static final Set<String> KNOWN_CONFIG = Set.of("num_retries_to_skip");

    /**
     * The scheduler's own settings ({@code scheduler_options.config}); {@link #parse} refuses any other than these, so
     * they are typed: {@code num_retries_to_skip}, after how many passes that could not place a session it is
     * considered behind the others.
     */
    public record Config(Optional<Integer> numRetriesToSkip) {
        public static final Config NONE = new Config(Optional.empty());

        public boolean isEmpty() {
            return numRetriesToSkip.isEmpty();
        }
    }

    public SchedulerOptions {
        allowedSessionTypes = List.copyOf(allowedSessionTypes);
        java.util.Objects.requireNonNull(config, "config");
        if (allowedSessionTypes.isEmpty()) {
            throw new IllegalArgumentException("allowed_session_types must not be empty");
        }
    }

    public static SchedulerOptions defaults() {
        return new SchedulerOptions(List.of(SessionType.INTERACTIVE, SessionType.BATCH, SessionType.INFERENCE),
                Duration.ZERO, AgentSelectionStrategy.DISPERSED, Config.NONE);
    }

    public boolean accepts(SessionType type) {
        return allowedSessionTypes.contains(type);
    }

    /**
     * Parses options, naming the offending field by its path in {@code f} ({@code scheduler_options.<field>} when read as
     * {@code RequestFields.of(options).at(FIELD)}); missing fields take defaults.
     */
    public static SchedulerOptions parse(RequestFields f) {
        return parse(f, defaults());
    }

    /** {@link #parse(RequestFields)}, missing fields keeping {@code d}'s (a patch of a group's options). */
    public static SchedulerOptions parse(RequestFields f, SchedulerOptions d) {
        f.refuseUnknownOrNull(KNOWN);

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

        Config config = d.config();
        if (f.has("config")) {
            RequestFields c = f.optionalObject("config").orElseThrow();
            c.refuseUnknownOrNull(KNOWN_CONFIG);
            config = new Config(c.optionalInt("num_retries_to_skip", 0, 1000));
        }
        return new SchedulerOptions(types, timeout, strategy, config);
    }
}
