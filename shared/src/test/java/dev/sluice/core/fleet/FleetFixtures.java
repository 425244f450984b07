package dev.sluice.core.fleet;

import dev.sluice.core.request.RequestFields;
import dev.sluice.core.slots.ResourceSlots;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Small builders for fleet tests. */
final class FleetFixtures {
    static final Instant NOW = Instant.parse("2026-12-03T12:00:00Z");

    private FleetFixtures() {
    }

    static ResourceSlots slots(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return ResourceSlots.parse(RequestFields.of(m).at("slots"));
    }

    static ResourceSlots gpus(int n) {
        return slots("cuda.device", n, "cpu", 2, "mem", "8g");
    }

    /** A type entry as an admin writes it. */
    static Map<String, Object> type(String name, int gpus, int cpus, String mem, String spot, String onDemand, int max) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("name", name);
        t.put("slots", Map.of("cuda.device", gpus, "cpu", cpus, "mem", mem));
        List<String> options = new ArrayList<>();
        if (spot != null) {
            options.add("spot");
            t.put("spot_price", spot);
        }
        if (onDemand != null) {
            options.add("on-demand");
            t.put("on_demand_price", onDemand);
        }
        t.put("purchase_options", options);
        t.put("max_instances", max);
        return t;
    }

    static Map<String, Object> definition(int min, int max, List<Map<String, Object>> types) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("subnets", List.of(Map.of("zone", "us-east-1a", "subnet_id", "subnet-0123456789abcdef0"),
                Map.of("zone", "us-east-1b", "subnet_id", "subnet-0fedcba9876543210")));
        d.put("min_instances", min);
        d.put("max_instances", max);
        d.put("idle_duration", "10m");
        d.put("instance_types", types);
        return d;
    }

    static FleetCatalog catalog(int min, int max, List<Map<String, Object>> types) {
        return FleetCatalog.parse(RequestFields.of(definition(min, max, types)));
    }

    /** g5.xlarge (1 GPU), g5.12xlarge (4 GPUs), p4d.24xlarge (8 GPUs), spot and on-demand. */
    static FleetCatalog g5(int max) {
        return catalog(0, max, List.of(
                type("g5.xlarge", 1, 4, "16g", "0.40", "1.006", max),
                type("g5.12xlarge", 4, 48, "192g", "1.40", "5.672", max),
                type("p4d.24xlarge", 8, 96, "1152g", "12.00", "32.7726", max)));
    }

    static FleetAgent idleAgent(String id, String type, ResourceSlots free, Instant idleSince) {
        return new FleetAgent(id, Optional.ofNullable(type), true, free, false, Optional.of(idleSince));
    }

    static FleetAgent busyAgent(String id, String type, ResourceSlots free) {
        return new FleetAgent(id, Optional.ofNullable(type), true, free, true, Optional.empty());
    }

    static FleetState state(FleetCatalog c, List<Demand> demand, List<FleetAgent> agents, List<Launching> launching) {
        return new FleetState(c, demand, agents, launching, NOW);
    }
}
