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
}
