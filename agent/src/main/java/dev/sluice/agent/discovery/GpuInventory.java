package dev.sluice.agent.discovery;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The NVIDIA GPUs found on this host. Never a failure: a host without a driver, or whose driver does not answer, has
 * zero GPUs, and {@link #warnings()} says why so the agent can log it and report it with its heartbeat.
 *
 * @param driverVersion the NVIDIA driver version, e.g. {@code 535.104.05}
 * @param cudaVersion   the highest CUDA version the driver supports, e.g. {@code 12.2}
 * @param warnings      human messages about what could not be read (empty when everything was)
 */
public record GpuInventory(List<Gpu> gpus, Optional<String> driverVersion, Optional<String> cudaVersion,
                           List<String> warnings) {

    public GpuInventory {
        gpus = List.copyOf(gpus);
        warnings = List.copyOf(warnings);
    }

    /** No GPU, for the reason given (empty = nothing to warn about, e.g. nvidia-smi is simply not installed). */
    public static GpuInventory none(Optional<String> warning) {
        return new GpuInventory(List.of(), Optional.empty(), Optional.empty(),
                warning.map(List::of).orElse(List.of()));
    }

    public int count() {
        return gpus.size();
    }

    public List<String> uuids() {
        return gpus.stream().map(Gpu::uuid).toList();
    }

    /**
     * What the agent reports as its compute plugin info: {@code cuda.devices}, {@code cuda.driver},
     * {@code cuda.version}, and per GPU {@code gpu.N.model}, {@code gpu.N.uuid}, {@code gpu.N.memory} (bytes),
     * {@code gpu.N.pci}. Keys whose value is unknown are left out. Empty without GPUs.
     */
    public Map<String, String> computePlugins() {
        Map<String, String> info = new LinkedHashMap<>();
        if (gpus.isEmpty()) {
            return info;
        }
        info.put("cuda.devices", Integer.toString(gpus.size()));
        driverVersion.ifPresent(v -> info.put("cuda.driver", v));
        cudaVersion.ifPresent(v -> info.put("cuda.version", v));
        for (Gpu gpu : gpus) {
            String prefix = "gpu." + gpu.index() + ".";
            info.put(prefix + "model", gpu.model());
            info.put(prefix + "uuid", gpu.uuid());
            gpu.memoryBytes().ifPresent(m -> info.put(prefix + "memory", Long.toString(m)));
            gpu.pciBusId().ifPresent(p -> info.put(prefix + "pci", p));
        }
        return info;
    }

    /**
     * One GPU.
     *
     * @param uuid        the id Docker's {@code --gpus device=} and {@code CUDA_VISIBLE_DEVICES} accept; stable across
     *                    reboots, unlike the index
     * @param memoryBytes total framebuffer memory, when the driver reports it
     * @param pciBusId    e.g. {@code 00000000:10:1C.0}, when reported
     */
    public record Gpu(int index, String uuid, String model, OptionalLong memoryBytes, Optional<String> pciBusId) {
    }
}
