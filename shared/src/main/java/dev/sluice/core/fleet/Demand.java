package dev.sluice.core.fleet;

import dev.sluice.core.scheduler.PendingExplanation;
import dev.sluice.core.scheduler.SchedulingPlan;
import dev.sluice.core.session.ClusterMode;
import dev.sluice.core.session.Session;
import dev.sluice.core.slots.ResourceSlots;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One pending session that more capacity would let run: {@code kernels} hosts each with {@code perKernel} free (a
 * single-node session is one kernel of its whole request; a multi-node one is a gang of distinct hosts, all or none),
 * and whether only on-demand capacity may serve it (its retry rules' {@code on_demand_after}).
 */
public record Demand(String sessionId, ResourceSlots perKernel, int kernels, boolean onDemandOnly) {

    /**
     * The reasons a pass gives a session that only capacity holds back. A session waiting for quota, a start time, a
     * dependency or sessions of higher priority is not demand, nor one with more kernels than a placement may have. The
     * two "never runs here" reasons are about the agents there are; the catalog may have a larger type, so they are
     * demand, and {@link FleetPlanner} keeps them unserved ("never fits") when no type fits either.
     */
    public static final Set<String> CAPACITY_REASONS = Set.of(PendingExplanation.WAITING_FOR_CAPACITY, PendingExplanation.WAITING_FOR_AGENT,
            PendingExplanation.NEVER_FITS, PendingExplanation.MISSING_SLOT);

    public Demand {
        if (kernels < 1) {
            throw new IllegalArgumentException("a demand has at least one kernel");
        }
    }

    /** A demand any capacity may serve, spot or on-demand. */
    public Demand(String sessionId, ResourceSlots perKernel, int kernels) {
        this(sessionId, perKernel, kernels, false);
    }

    public boolean isGang() {
        return kernels > 1;
    }

    public static Demand of(Session s) {
        ResourceSlots req = s.spec().requestedSlots();
        int size = s.spec().clusterSize();
        return s.spec().clusterMode() == ClusterMode.SINGLE_NODE || size == 1
                ? new Demand(s.id(), req.times(size), 1, s.onDemandOnly())
                : new Demand(s.id(), req, size, s.onDemandOnly());
    }

    /** The demand of a pass: its deferrals held back by capacity alone, in the pass's order. */
    public static List<Demand> from(SchedulingPlan plan) {
        List<Demand> out = new ArrayList<>();
        for (SchedulingPlan.Deferral d : plan.deferrals()) {
            if (CAPACITY_REASONS.contains(d.explanation().reason()) && d.explanation().failed().isEmpty()) {
                out.add(of(d.session()));
            }
        }
        return out;
    }
}
