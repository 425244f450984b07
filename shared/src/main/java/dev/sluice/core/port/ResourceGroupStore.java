package dev.sluice.core.port;

import dev.sluice.core.group.ResourceGroup;
import java.util.List;
import java.util.Optional;

/** Where resource groups live. */
public interface ResourceGroupStore {
    void put(ResourceGroup group);

    Optional<ResourceGroup> find(String name);

    /** Every group, ordered by name. */
    List<ResourceGroup> list();
}
