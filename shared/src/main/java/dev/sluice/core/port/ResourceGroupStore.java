package dev.sluice.core.port;

import dev.sluice.core.group.ResourceGroup;
import java.util.List;
import java.util.Optional;

/** Where resource groups live. */
public interface ResourceGroupStore {
    void put(ResourceGroup group);

    /** Stores a new group; false when a group of that name exists already. */
    boolean create(ResourceGroup group);

    /** Replaces the group only if it was last updated at {@code expectedUpdatedAt}; false when it changed meanwhile. */
    boolean replace(ResourceGroup group, java.time.Instant expectedUpdatedAt);

    Optional<ResourceGroup> find(String name);

    /** The agent the group's round robin chose last. */
    Optional<String> roundRobinPosition(String name);

    void saveRoundRobinPosition(String name, String agentId);

    /** Every group, ordered by name. */
    List<ResourceGroup> list();
}
