package dev.sluice.core.fleet;

import java.time.Instant;
import java.util.List;

/** Everything one fleet decision of one group looks at (pure input of {@link FleetPlanner#plan}). */
public record FleetState(FleetCatalog catalog, List<Demand> demand, List<FleetAgent> agents, List<Launching> launching, Instant now) {
    public FleetState {
        demand = List.copyOf(demand);
        agents = List.copyOf(agents);
        launching = List.copyOf(launching);
    }
}
