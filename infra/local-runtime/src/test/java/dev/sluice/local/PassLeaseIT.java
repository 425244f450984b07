package dev.sluice.local;

import dev.sluice.core.request.RequestFields;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.adapters.ControlPlane;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.port.PassLease;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** One scheduling pass per group at a time; triggers meanwhile coalesce into one more pass by the holder. */
class PassLeaseIT {
    private static final Duration TTL = Duration.ofSeconds(90);

    @Test
    void aSecondPassWaitsItsTurnAndTheHolderRunsOnceMore() throws Exception {
        ControlPlane plane = LocalStack.get().controlPlane();
        PassLease lease = plane.passLease();
        String group = "lease-" + UUID.randomUUID().toString().substring(0, 8);
        plane.groupStore().put(ResourceGroup.fromDefinition(group, RequestFields.of(Map.of()), Instant.now(), Instant.now()));
        Instant now = Instant.now();

        assertThat(lease.acquire(group, "a", now, TTL)).isTrue();
        assertThat(lease.acquire(group, "b", now, TTL)).as("a pass is running").isFalse();
        assertThat(lease.releaseOrContinue(group, "a", now, TTL)).as("b's trigger asks a to pass again").isTrue();
        assertThat(lease.releaseOrContinue(group, "a", now, TTL)).as("nothing came meanwhile: released").isFalse();
        assertThat(lease.acquire(group, "b", now, TTL)).isTrue();
        assertThat(lease.acquire(group, "c", now.plus(TTL).plusSeconds(1), TTL)).as("an expired lease is taken over").isTrue();
        assertThat(lease.releaseOrContinue(group, "b", now, TTL)).as("b lost it").isFalse();
        assertThat(lease.acquire(group, "d", now.plus(TTL).plusSeconds(2), TTL)).as("c holds it now").isFalse();
        // Given back, so the stack's own ticks pass over this group as over any other (a lease left held until it
        // expires, minutes later, made two ticks of SamLocalIT disagree about it).
        lease.release(group, "c");
        assertThat(lease.acquire(group, "e", Instant.now(), TTL)).isTrue();
        lease.release(group, "e");
    }

    @Test
    void aTriggerDuringARunningPassIsCoalescedIntoIt() throws Exception {
        ControlPlane plane = LocalStack.get().controlPlane();
        String group = "coalesce-" + UUID.randomUUID().toString().substring(0, 8);
        plane.groupStore().put(ResourceGroup.fromDefinition(group, RequestFields.of(Map.of()), Instant.now(), Instant.now()));
        ResourceGroup g = plane.groupStore().find(group).orElseThrow();
        assertThat(plane.passLease().acquire(group, "running-pass", Instant.now(), TTL)).isTrue();
        assertThat(plane.scheduling().runCoalesced(g, plane.passLease())).as("coalesced, not run").isEmpty();
        assertThat(plane.passLease().releaseOrContinue(group, "running-pass", Instant.now(), TTL)).isTrue();
        assertThat(plane.passLease().releaseOrContinue(group, "running-pass", Instant.now(), TTL)).isFalse();
        assertThat(plane.scheduling().runCoalesced(g, plane.passLease())).as("free again: runs").hasSize(1);
    }

    @Test
    void aPassThatFailsGivesTheLeaseBackAtOnce() throws Exception {
        ControlPlane plane = LocalStack.get().controlPlane();
        String group = "failing-" + UUID.randomUUID().toString().substring(0, 8);
        plane.groupStore().put(ResourceGroup.fromDefinition(group, RequestFields.of(Map.of()), Instant.now(), Instant.now()));
        ResourceGroup g = plane.groupStore().find(group).orElseThrow();
        // A fleet that fails (its table unreachable, say): the pass fails visibly...
        dev.sluice.core.usecase.SchedulingPass failing = plane.schedulingWith((grp, snapshot, plan, applied, prepared) -> {
            throw new IllegalStateException("the fleet table is unreachable");
        });
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> failing.runCoalesced(g, plane.passLease()))
                .hasMessageContaining("unreachable");
        // ...and the next trigger passes at once instead of waiting 90 s for the lease to expire.
        assertThat(plane.passLease().acquire(group, "next", Instant.now(), TTL)).isTrue();
        plane.passLease().release(group, "next");
    }
    @Test
    void aFleetThatCannotSayItsHoldsLetsThePassPlanAndExplainThenFailsItVisiblyAndGivesTheLeaseBack() throws Exception {
        LocalStack local = LocalStack.get();
        ControlPlane plane = local.controlPlane();
        String group = "holds-fail-" + UUID.randomUUID().toString().substring(0, 8);
        plane.groupStore().put(ResourceGroup.fromDefinition(group, RequestFields.of(Map.of()), Instant.now(), Instant.now()));
        ResourceGroup g = plane.groupStore().find(group).orElseThrow();
        ApiClient api = new ApiClient(local.apiUrl);
        String token = local.token("holds-user");
        String id = api.post("/sessions", token, "{\"image\":\"python:3.12\",\"resource_group\":\"" + group
                + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\"}}").json().path("id").asText();
        local.awaitPassOver(group, Duration.ofSeconds(15));
        java.util.concurrent.atomic.AtomicReference<dev.sluice.core.usecase.FleetReaction.Prepared> seen = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.Set<String> planned = java.util.concurrent.ConcurrentHashMap.newKeySet();
        dev.sluice.core.usecase.SchedulingPass failing = plane.schedulingWith(new dev.sluice.core.usecase.FleetReaction() {
            @Override
            public dev.sluice.core.usecase.FleetReaction.Prepared prepare(ResourceGroup grp, dev.sluice.core.scheduler.SchedulingSnapshot snapshot) {
                throw new IllegalStateException("the launch records are unreadable");
            }

            @Override
            public Map<String, dev.sluice.core.scheduler.PendingExplanation> afterPass(ResourceGroup grp,
                    dev.sluice.core.scheduler.SchedulingSnapshot snapshot, dev.sluice.core.scheduler.SchedulingPlan plan,
                    dev.sluice.core.usecase.PlanApplier.Report applied, dev.sluice.core.usecase.FleetReaction.Prepared prepared) {
                seen.set(prepared);
                plan.deferrals().forEach(d -> planned.add(d.session().id()));
                return Map.of();
            }
        });
        Instant deadline = Instant.now().plusSeconds(20);
        Throwable thrown = null;
        while (thrown == null && Instant.now().isBefore(deadline)) {
            try {
                if (failing.runCoalesced(g, plane.passLease()).isEmpty()) {
                    Thread.sleep(100); // a nudged pass holds the lease
                }
            } catch (IllegalStateException e) {
                thrown = e;
            }
        }
        // The pass planned without holds and still asked the fleet to react (with no holds), then failed visibly...
        assertThat(thrown).hasMessageContaining("unreadable");
        assertThat(seen.get()).isNotNull();
        assertThat(seen.get().holds()).isEmpty();
        // ...having planned the group's queue (its session deferred: no agent in that group)...
        assertThat(planned).contains(id);
        // ...and the lease is free at once.
        assertThat(plane.passLease().acquire(group, "next", Instant.now(), TTL)).isTrue();
        plane.passLease().release(group, "next");
    }
}
