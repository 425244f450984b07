package dev.sluice.core.fleet;

import dev.sluice.core.scheduler.PlacementHold;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Everything one fleet decision of one group looks at (pure input of {@link FleetPlanner#plan}), with the
 * {@link RightSizing} holds the pass planned with: a held agent's room is not given to the kernels it refuses.
 */
public record FleetState(FleetCatalog catalog, List<Demand> demand, List<FleetAgent> agents, List<Launching> launching, Instant now,
                         Map<String, PlacementHold> holds) {
    public FleetState {
        demand = List.copyOf(demand);
        agents = List.copyOf(agents);
        launching = List.copyOf(launching);
        holds = Map.copyOf(holds);
    }

    public FleetState(FleetCatalog catalog, List<Demand> demand, List<FleetAgent> agents, List<Launching> launching, Instant now) {
        this(catalog, demand, agents, launching, now, Map.of());
    }
}
