package dev.sluice.agent.discovery;

import java.util.List;
import java.util.Map;

/**
 * What the agent offers the scheduler, as its heartbeat carries it.
 *
 * @param slots          available slots: name → decimal string ({@code cpu}, {@code mem} in bytes,
 *                       {@code cuda.device}, ...)
 * @param computePlugins flat GPU facts ({@code cuda.driver}, {@code cuda.version}, {@code gpu.0.model}, ...)
 * @param architecture   {@code x86_64} or {@code aarch64}
 * @param gpuUuids       the real GPUs, in index order, that the agent hands to kernels ({@code Assignment.gpus()});
 *                       empty when the host has none (declared fake devices have no UUID)
 * @param warnings       what discovery could not read, for the agent's log and heartbeat
 */
public record HostCapacity(Map<String, String> slots, Map<String, String> computePlugins, String architecture,
                           List<String> gpuUuids, List<String> warnings) {

    public HostCapacity {
        slots = Map.copyOf(slots);
        computePlugins = Map.copyOf(computePlugins);
        gpuUuids = List.copyOf(gpuUuids);
        warnings = List.copyOf(warnings);
    }
}
