package dev.sluice.core.session;

import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A listing of sessions: whose (the caller's, one owner's or everybody's for admins), which statuses, which group or
 * name, in which order, one page at a time. {@code owner} empty means every owner.
 */
public record SessionQuery(
        Optional<String> owner,
        Set<SessionStatus> statuses,
        Optional<String> resourceGroup,
        Optional<String> name,
        boolean newestFirst,
        int limit,
        Optional<String> cursor) {

    public static final int DEFAULT_LIMIT = 50;
    public static final int MAX_LIMIT = 200;
    public static final Set<SessionStatus> RUNNING = SessionStatus.RUNNING_NOW;
    public static final Set<SessionStatus> DEAD = SessionStatus.DEAD;
    private static final Set<String> KNOWN = Set.of("status", "running", "dead", "resource_group", "name", "owner", "all",
            "order", "limit", "cursor");

    public SessionQuery {
        statuses = statuses.isEmpty() ? EnumSet.noneOf(SessionStatus.class) : EnumSet.copyOf(statuses);
    }

    /**
     * Reads query-string parameters; errors name the parameter. Only admins may name another owner or ask for all. The
     * flags (running, dead, all) are read with {@code flag}, the one flag parser of the HTTP edge, so that every
     * handler reads {@code x=}, {@code x=yes} or {@code x=true} alike.
     */
    public static SessionQuery parse(Map<String, String> params, Principal caller, Predicate<String> flag) {
        for (String key : params.keySet()) {
            if (!KNOWN.contains(key)) {
                throw DomainException.invalid(key, "is not a known parameter; the known parameters are " + KNOWN.stream().sorted().toList());
            }
        }
        Set<SessionStatus> statuses = EnumSet.noneOf(SessionStatus.class);
        if (params.containsKey("status")) {
            for (String s : params.get("status").split(",")) {
                String name = s.trim().toUpperCase(Locale.ROOT);
                try {
                    statuses.add(SessionStatus.valueOf(name));
                } catch (IllegalArgumentException e) {
                    throw DomainException.invalid("status", "must list session statuses such as PENDING or RUNNING, and '" + s.trim() + "' is not one");
                }
            }
        }
        boolean running = flag.test("running");
        boolean dead = flag.test("dead");
        if (running && dead) {
            throw DomainException.invalid("running", "cannot be combined with dead");
        }
        if ((running || dead) && !statuses.isEmpty()) {
            throw DomainException.invalid(running ? "running" : "dead", "cannot be combined with status");
        }
        if (running) {
            statuses.addAll(RUNNING);
        }
        if (dead) {
            statuses.addAll(DEAD);
        }
        boolean all = flag.test("all");
        Optional<String> owner = Optional.ofNullable(params.get("owner")).filter(o -> !o.isBlank());
        if ((all || owner.filter(o -> !o.equals(caller.subject())).isPresent()) && !caller.isAdmin()) {
            throw new DomainException(ErrorCode.FORBIDDEN, all ? "all" : "owner", (all ? "all=true is for admins only" : "owner must be your own id")
                    + ": only an admin may list other users' sessions.");
        }
        if (all && owner.isPresent()) {
            throw DomainException.invalid("all", "cannot be combined with owner");
        }
        Optional<String> whose = all ? Optional.empty() : Optional.of(owner.orElse(caller.subject()));
        String order = params.getOrDefault("order", "newest");
        if (!order.equals("newest") && !order.equals("oldest")) {
            throw DomainException.invalid("order", "must be newest or oldest");
        }
        int limit = DEFAULT_LIMIT;
        if (params.containsKey("limit")) {
            try {
                limit = Integer.parseInt(params.get("limit"));
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > MAX_LIMIT) {
                throw DomainException.invalid("limit", "must be a whole number from 1 to " + MAX_LIMIT);
            }
        }
        if (params.containsKey("resource_group") && !dev.sluice.core.group.ResourceGroup.isValidName(params.get("resource_group"))) {
            throw DomainException.invalid("resource_group", "is not a resource group name");
        }
        return new SessionQuery(whose, statuses, Optional.ofNullable(params.get("resource_group")),
                Optional.ofNullable(params.get("name")), order.equals("newest"), limit, Optional.ofNullable(params.get("cursor")));
    }

    public boolean matches(Session s) {
        return (statuses.isEmpty() || statuses.contains(s.status()))
                && resourceGroup.map(g -> g.equals(s.resourceGroup())).orElse(true)
                && name.map(n -> s.spec().name().map(n::equals).orElse(false)).orElse(true);
    }
}
