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

    private static final java.util.regex.Pattern AGENT_ID = java.util.regex.Pattern.compile("[A-Za-z0-9._-]{1,128}");

    public List<Agent> list(Principal caller, Optional<String> resourceGroup) {
        ResourceGroupService.requireAdmin(caller);
        resourceGroup.ifPresent(g -> {
            if (!dev.sluice.core.group.ResourceGroup.isValidName(g)) {
                throw DomainException.invalid("resource_group", "is not a resource group name");
            }
        });
        return resourceGroup.map(agents::inGroup).orElseGet(agents::all);
    }

    public Agent get(Principal caller, String id) {
        ResourceGroupService.requireAdmin(caller);
        if (!AGENT_ID.matcher(id).matches()) {
            throw DomainException.notFound("agent '" + id + "'");
        }
        return agents.find(id).orElseThrow(() -> DomainException.notFound("agent '" + id + "'"));
    }
}
