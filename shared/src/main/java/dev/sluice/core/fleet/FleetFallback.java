package dev.sluice.core.fleet;

import dev.sluice.core.port.FleetDriver;
import dev.sluice.core.slots.ResourceSlots;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The ordered alternatives a launch is tried with (issue 17, "falls back to the next type or zone"): when EC2 answers
 * {@code InsufficientInstanceCapacity} or the spot price is over the cap, the driver goes on to the next candidate.
 * Pure. The order:
 * <ol>
 *   <li>the planned type, purchase option and subnet;</li>
 *   <li>the same type and option in the type's other subnets (catalog order);</li>
 *   <li>the same type bought the other way, if the type allows it (the planned subnet first);</li>
 *   <li>every other type of the catalog that still holds all of the launch's sessions together, is below its
 *       {@code max_instances} and cheaper than the launch's {@code maxTypeMicroUsd} (right-sizing), cheapest
 *       (preferred price) first; each its preferred option first, planned zone first.</li>
 * </ol>
 * Each candidate's price cap is the catalog's price of that type bought that way (for spot, the most the fleet pays).
 * The list holds at most {@link #MAX_CANDIDATES}.
 */
public final class FleetFallback {
    /** The most alternatives one launch is given (EC2 Fleet takes many overrides; a driver tries them in a budget). */
    public static final int MAX_CANDIDATES = 30;

    private FleetFallback() {
    }

    /**
     * @param need    what the launch's sessions ask of the one instance together (one kernel each)
     * @param running instances of each type already running or launching (types at their max are left out)
     */
    public static List<FleetDriver.Candidate> candidates(FleetCatalog catalog, FleetDecision.Launch launch, ResourceSlots need,
                                                         Map<String, Integer> running) {
        Set<FleetDriver.Candidate> out = new LinkedHashSet<>();
        InstanceType planned = catalog.type(launch.instanceType())
                .orElseThrow(() -> new IllegalArgumentException("the catalog has no type " + launch.instanceType()));
        out.add(new FleetDriver.Candidate(planned.name(), launch.option(), launch.zone(), launch.subnetId(), planned.priceOf(launch.option())));
        Subnet first = new Subnet(launch.zone(), launch.subnetId());
        addType(out, catalog, planned, List.of(launch.option()), first);
        List<PurchaseOption> others = planned.purchaseOptions().stream().filter(o -> o != launch.option()).toList();
        addType(out, catalog, planned, others, first);
        List<InstanceType> alternatives = new ArrayList<>();
        for (InstanceType t : catalog.instanceTypes()) {
            if (!t.name().equals(planned.name()) && need.fitsIn(t.slots()) && t.preferredMicroUsd() < launch.maxTypeMicroUsd()
                    && running.getOrDefault(t.name(), 0) < t.maxInstances()) {
                alternatives.add(t);
            }
        }
        alternatives.sort(Comparator.comparingLong(InstanceType::preferredMicroUsd));
        for (InstanceType t : alternatives) {
            List<PurchaseOption> options = new ArrayList<>();
            options.add(t.preferredOption());
            t.purchaseOptions().stream().filter(o -> o != t.preferredOption()).forEach(options::add);
            addType(out, catalog, t, options, first);
        }
        List<FleetDriver.Candidate> list = new ArrayList<>(out);
        return List.copyOf(list.subList(0, Math.min(MAX_CANDIDATES, list.size())));
    }

    /** The type bought each of {@code options} (in order), in each of its subnets: the planned zone first. */
    private static void addType(Set<FleetDriver.Candidate> out, FleetCatalog catalog, InstanceType t, List<PurchaseOption> options, Subnet first) {
        List<Subnet> subnets = new ArrayList<>(catalog.subnetsOf(t));
        subnets.sort(Comparator.comparingInt(s -> s.zone().equals(first.zone()) ? (s.equals(first) ? 0 : 1) : 2));
        for (PurchaseOption o : options) {
            for (Subnet s : subnets) {
                out.add(new FleetDriver.Candidate(t.name(), o, s.zone(), s.subnetId(), t.priceOf(o)));
            }
        }
    }
}
