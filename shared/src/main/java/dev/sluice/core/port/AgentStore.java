package dev.sluice.core.port;

import dev.sluice.core.agent.Agent;
import java.util.List;
import java.util.Optional;

/** Where agents live. */
public interface AgentStore {
    Optional<Agent> find(String id);

    /** The agents of a resource group, by id. */
    List<Agent> inGroup(String resourceGroup);

    /** Every agent, by id. */
    List<Agent> all();

    void put(Agent agent);
}
