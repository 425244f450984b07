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
 * their policies, the state of the sessions pending ones depend on, and where the round robin stopped.
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
        Instant now) {

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
