package dev.sluice.core.fleet;

import java.util.List;

/**
 * What the fleet should do after a pass, for a driver to execute and for pending reasons to cite: instances to launch
 * (each one instance, with the sessions it is for), idle agents to retire (with why), sessions that capacity already
 * there or on the way will take, and sessions no launch is made for (with why).
 */
public record FleetDecision(List<Launch> launches, List<Retirement> retirements, List<Covered> covered, List<Unserved> unserved) {

    /** A session fits no instance type of the catalog: the pass's own "never fits" reason is kept. */
    public static final String NEVER_FITS = dev.sluice.core.scheduler.PendingExplanation.NEVER_FITS;
    /** A session would fit, but the fleet may not launch more instances (of its types, or at all). */
    public static final String AT_MAX = "fleet-at-max";

    public FleetDecision {
        launches = List.copyOf(launches);
        retirements = List.copyOf(retirements);
        covered = List.copyOf(covered);
        unserved = List.copyOf(unserved);
    }

    /**
     * One instance to launch; {@code ref} names it in {@link Covered#hosts} until it has an instance id. Its fallbacks
     * are types cheaper (preferred price) than {@code maxTypeMicroUsd} only (a launch for sessions a right-sizing hold
     * kept off an agent of that price; {@link Long#MAX_VALUE}: any).
     */
    public record Launch(String ref, String instanceType, PurchaseOption option, String zone, String subnetId, long hourlyMicroUsd,
                         List<String> sessionIds, long maxTypeMicroUsd) {
        public Launch {
            sessionIds = List.copyOf(sessionIds);
        }

        /** A launch whose fallbacks may be any type. */
        public Launch(String ref, String instanceType, PurchaseOption option, String zone, String subnetId, long hourlyMicroUsd,
                      List<String> sessionIds) {
            this(ref, instanceType, option, zone, subnetId, hourlyMicroUsd, sessionIds, Long.MAX_VALUE);
        }
    }

    /** An idle agent to drain and terminate. */
    public record Retirement(String agentId, String instanceType, String reason) {
    }

    /**
     * A demanded session given hosts, one per kernel: agent ids, ids of instances already launching, or the refs of
     * this decision's launches; {@code waitsForLaunch} when any of them is not an agent yet (its pending reason:
     * provisioning).
     */
    public record Covered(String sessionId, List<String> hosts, boolean waitsForLaunch) {
        public Covered {
            hosts = List.copyOf(hosts);
        }
    }

    /** A demanded session nothing is launched for, and why ({@link #NEVER_FITS} or {@link #AT_MAX}). */
    public record Unserved(String sessionId, String reason, String message) {
    }

    /** What the launches cost an hour, in micro-dollars. */
    public long hourlyMicroUsd() {
        return launches.stream().mapToLong(Launch::hourlyMicroUsd).sum();
    }

    /** How many demanded sessions this decision gives hosts (there, on the way, or launched). */
    public int served() {
        return covered.size();
    }
}
