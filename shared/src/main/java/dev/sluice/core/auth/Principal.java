package dev.sluice.core.auth;

import java.util.Set;

/** Who is calling, as established by a verified token. */
public record Principal(String subject, String username, Set<String> groups) {
    public static final String ADMIN_GROUP = "admin";
    public static final String AGENT_GROUP = "agents";

    public Principal {
        groups = Set.copyOf(groups);
    }

    public boolean isAdmin() {
        return groups.contains(ADMIN_GROUP);
    }

    /** An agent's identity: it may use the agent API only, never a user's or an admin's. */
    public boolean isAgent() {
        return groups.contains(AGENT_GROUP);
    }
}
