package dev.sluice.core.scheduler;

import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionResult;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.slots.ResourceSlots;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The scheduling predicates of REFERENCE §4, each with Backend.AI's name and a message a person can act on. They read
 * the usage as it stands during the pass, so sessions placed earlier in the same pass count.
 */
final class Predicates {
    static final String RESERVED_TIME = "reserved_time";
    static final String DEPENDENCIES = "dependencies";
    static final String CONCURRENCY = "concurrency";
    static final String PENDING_COUNT = "pending_session_count_limit";
    static final String PENDING_RESOURCE = "pending_session_resource_limit";
    static final String USER_RESOURCE = "keypair_resource_limit";
    static final String GROUP_RESOURCE = "group_resource_limit";
    static final String DOMAIN_RESOURCE = "domain_resource_limit";

    private Predicates() {
    }

    /** What a dependency means for the session that waits on it. */
    enum DependencyVerdict { READY, WAIT, FAILED }

    static DependencyVerdict dependencyVerdict(Optional<SchedulingSnapshot.DependencyState> dep) {
        if (dep.isEmpty()) {
            return DependencyVerdict.FAILED;
        }
        SchedulingSnapshot.DependencyState d = dep.get();
        if (d.status() == SessionStatus.TERMINATED) {
            return d.result() == SessionResult.SUCCESS ? DependencyVerdict.READY : DependencyVerdict.FAILED;
        }
        if (d.status() == SessionStatus.CANCELLED || d.status() == SessionStatus.ERROR) {
            return DependencyVerdict.FAILED;
        }
        return DependencyVerdict.WAIT;
    }

    /** Every predicate passed: one shared list, so the common case allocates nothing. */
    static final List<PredicateResult> ALL_PASSED = List.of(PredicateResult.pass(RESERVED_TIME), PredicateResult.pass(DEPENDENCIES),
            PredicateResult.pass(CONCURRENCY), PredicateResult.pass(PENDING_COUNT), PredicateResult.pass(PENDING_RESOURCE),
            PredicateResult.pass(USER_RESOURCE), PredicateResult.pass(GROUP_RESOURCE), PredicateResult.pass(DOMAIN_RESOURCE));

    static List<PredicateResult> check(Session s, SchedulingSnapshot snap, Usage owner, Usage group, Usage domain, Instant now) {
        ResourcePolicy policy = snap.policyOf(s.owner());
        boolean limited = policy != ResourcePolicy.UNLIMITED || snap.groupPolicy() != ResourcePolicy.UNLIMITED
                || snap.domainPolicy() != ResourcePolicy.UNLIMITED;
        Optional<Instant> start = s.spec().startsAt();
        if (!limited && s.spec().dependencies().isEmpty() && (start.isEmpty() || !start.get().isAfter(now))) {
            return ALL_PASSED;
        }
        List<PredicateResult> results = new ArrayList<>(8);
        results.add(start.isPresent() && start.get().isAfter(now)
                ? PredicateResult.fail(RESERVED_TIME, "reserved to start at " + start.get())
                : ALL_PASSED.get(0));

        List<String> waitingOn = s.spec().dependencies().stream()
                .filter(d -> dependencyVerdict(Optional.ofNullable(snap.dependencies().get(d))) != DependencyVerdict.READY)
                .toList();
        results.add(waitingOn.isEmpty()
                ? ALL_PASSED.get(1)
                : PredicateResult.fail(DEPENDENCIES, "waiting for " + String.join(", ", waitingOn) + " to finish successfully"));

        results.add(policy.maxConcurrentSessions().filter(max -> owner.activeSessions() >= max)
                .map(max -> PredicateResult.fail(CONCURRENCY, "you already run " + owner.activeSessions() + " of at most " + max + " sessions"))
                .orElse(ALL_PASSED.get(2)));
        results.add(policy.maxPendingSessions().filter(max -> owner.pendingSessions() > max)
                .map(max -> PredicateResult.fail(PENDING_COUNT, "you have " + owner.pendingSessions() + " pending sessions, more than " + max))
                .orElse(ALL_PASSED.get(3)));
        results.add(policy.maxPendingSlots().filter(max -> !owner.pendingSlots().withinLimit(max))
                .map(max -> PredicateResult.fail(PENDING_RESOURCE, "your pending sessions ask for " + owner.pendingSlots().describe() + ", more than " + max.describe()))
                .orElse(ALL_PASSED.get(4)));
        ResourceSlots total = s.spec().requestedSlots().times(s.spec().clusterSize());
        results.add(limit(USER_RESOURCE, "your", policy, owner, total));
        results.add(limit(GROUP_RESOURCE, "the resource group's", snap.groupPolicy(), group, total));
        results.add(limit(DOMAIN_RESOURCE, "the domain's", snap.domainPolicy(), domain, total));
        return results;
    }

    private static PredicateResult limit(String name, String whose, ResourcePolicy policy, Usage usage, ResourceSlots request) {
        return policy.maxTotalSlots().filter(max -> !usage.occupied().add(request).withinLimit(max))
                .map(max -> PredicateResult.fail(name, whose + " sessions hold " + usage.occupied().describe() + "; with "
                        + request.describe() + " that would pass the limit " + max.describe()))
                .orElse(PredicateResult.pass(name));
    }
}
