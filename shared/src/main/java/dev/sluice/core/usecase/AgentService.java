package dev.sluice.core.usecase;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.port.AgentStore;
import java.util.List;
import java.util.Optional;

/** Admin views of the agents: capacity, occupancy and liveness. */
public final class AgentService {
    private final AgentStore agents;

    public AgentService(AgentStore agents) {
        this.agents = agents;
    }

    public List<Agent> list(Principal caller, Optional<String> resourceGroup) {
        ResourceGroupService.requireAdmin(caller);
        return resourceGroup.map(agents::inGroup).orElseGet(agents::all);
    }

    public Agent get(Principal caller, String id) {
        ResourceGroupService.requireAdmin(caller);
        return agents.find(id).orElseThrow(() -> DomainException.notFound("no agent '" + id + "'"));
    }
}
