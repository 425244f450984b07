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

    /** The group's instance catalog (issue 17); empty when the group has none or does not exist. */
    Optional<dev.sluice.core.fleet.FleetCatalog> fleet(String name);

    /** Stores the group's instance catalog on its item, leaving its definition as it is; false when there is no such group. */
    boolean saveFleet(String name, dev.sluice.core.fleet.FleetCatalog fleet);

    /** Every group, ordered by name. */
    List<ResourceGroup> list();
}
