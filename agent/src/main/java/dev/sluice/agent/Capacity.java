package dev.sluice.agent;

import java.util.List;
import java.util.Map;

/**
 * What this host offers: slots as the control plane counts them (decimal strings; {@code mem} may carry a unit),
 * compute-plugin facts (GPU model, driver, CUDA version), architecture, and the ids of its GPUs so that each kernel
 * gets specific devices.
 */
public record Capacity(Map<String, String> slots, Map<String, String> computePlugins, String architecture, List<String> gpuIds) {
    public Capacity {
        slots = Map.copyOf(slots);
        computePlugins = Map.copyOf(computePlugins);
        gpuIds = List.copyOf(gpuIds);
    }
}
