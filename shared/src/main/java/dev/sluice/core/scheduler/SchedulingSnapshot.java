package dev.sluice.core.scheduler;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.session.Session;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything one scheduling pass of one resource group looks at, read before planning: the pending queue in order
 * (higher priority first, then oldest), every agent of the group, what owners, the group and the domain already hold,
 * their policies, the state of the sessions pending ones depend on, where the round robin stopped, and the elastic
 * fleet's {@link PlacementHold holds} on empty agents.
 */
public record SchedulingSnapshot(
        ResourceGroup group,
        List<Session> pending,
        List<Agent> agents,
        Map<String, Usage> ownerUsage,
        Usage groupUsage,
        Usage domainUsage,
        Map<String, ResourcePolicy> ownerPolicies,
        ResourcePolicy groupPolicy,
        ResourcePolicy domainPolicy,
        Map<String, DependencyState> dependencies,
        Optional<String> lastRoundRobin,
        Instant now,
        Map<String, PlacementHold> holds) {

    public SchedulingSnapshot {
        holds = Map.copyOf(holds);
    }

    /** A snapshot whose agents are under no {@link PlacementHold} (a group without an elastic fleet). */
    public SchedulingSnapshot(ResourceGroup group, List<Session> pending, List<Agent> agents, Map<String, Usage> ownerUsage,
                              Usage groupUsage, Usage domainUsage, Map<String, ResourcePolicy> ownerPolicies, ResourcePolicy groupPolicy,
                              ResourcePolicy domainPolicy, Map<String, DependencyState> dependencies, Optional<String> lastRoundRobin,
                              Instant now) {
        this(group, pending, agents, ownerUsage, groupUsage, domainUsage, ownerPolicies, groupPolicy, domainPolicy, dependencies,
                lastRoundRobin, now, Map.of());
    }

    /** The same snapshot with the elastic fleet's holds on its agents. */
    public SchedulingSnapshot withHolds(Map<String, PlacementHold> holds) {
        return new SchedulingSnapshot(group, pending, agents, ownerUsage, groupUsage, domainUsage, ownerPolicies, groupPolicy, domainPolicy,
                dependencies, lastRoundRobin, now, holds);
    }

    /** The state of a session another one depends on. */
    public record DependencyState(String id, dev.sluice.core.session.SessionStatus status, dev.sluice.core.session.SessionResult result) {
    }

    public Usage usageOf(String owner) {
        return ownerUsage.getOrDefault(owner, Usage.NONE);
    }

    public ResourcePolicy policyOf(String owner) {
        return ownerPolicies.getOrDefault(owner, ResourcePolicy.UNLIMITED);
    }
}
