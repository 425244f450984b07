package dev.sluice.agent.discovery;

import dev.sluice.agent.command.CommandRunner;
import dev.sluice.agent.command.ProcessCommandRunner;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Combines the host (cores, memory, architecture), its GPUs (nvidia-smi) and the slots the operator declared into
 * the capacity the agent offers.
 *
 * <p>Rules: {@code cpu} and {@code mem} come from the host unless declared. {@code cuda.device} is the number of GPUs
 * found; a declared {@code cuda.device} wins (fake devices on a machine without GPUs, or fewer than the host has —
 * then only the first that many GPUs are handed out). Declaring more devices than a GPU host has is refused: the
 * agent could not hand them out. Any other declared slot ({@code cuda.shares}, ...) is offered as declared.
 */
public final class Discovery {

    private final NvidiaSmi nvidiaSmi;
    private final Supplier<HostResources> host;

    public Discovery(NvidiaSmi nvidiaSmi, Supplier<HostResources> host) {
        this.nvidiaSmi = nvidiaSmi;
        this.host = host;
    }

    /** Discovery of this host, with real {@code nvidia-smi} runs. */
    public static Discovery onThisHost() {
        CommandRunner runner = new ProcessCommandRunner();
        return new Discovery(new NvidiaSmi(runner), HostResources::detect);
    }

    /**
     * @param declaredSlots the operator's slots, already checked by {@link DeclaredSlots#parse(String)} (empty for
     *                      none)
     * @throws IllegalArgumentException when the declaration contradicts the host (more GPUs than it has)
     */
    public HostCapacity discover(Map<String, String> declaredSlots) {
        HostResources resources = host.get();
        GpuInventory gpus = nvidiaSmi.probe();
        List<String> warnings = new ArrayList<>(gpus.warnings());

        Map<String, String> slots = new LinkedHashMap<>();
        slots.put("cpu", Integer.toString(resources.cpuCores()));
        slots.put("mem", Long.toString(resources.memoryBytes()));
        if (gpus.count() > 0) {
            slots.put("cuda.device", Integer.toString(gpus.count()));
        }
        List<String> uuids = gpus.uuids();
        Map<String, String> plugins = new LinkedHashMap<>(gpus.computePlugins());

        for (Map.Entry<String, String> declared : declaredSlots.entrySet()) {
            String name = declared.getKey();
            String value = DeclaredSlots.amount(name, declared.getValue());
            if (name.equals("cuda.device") && gpus.count() > 0) {
                int devices = Integer.parseInt(value);
                if (devices > gpus.count()) {
                    throw new IllegalArgumentException("slots: cuda.device=" + value + " is more than the "
                            + gpus.count() + " GPU(s) nvidia-smi found on this host");
                }
                if (devices < gpus.count()) {
                    uuids = uuids.subList(0, devices);
                    warnings.add("cuda.device is declared as " + value + " of the " + gpus.count()
                            + " GPU(s) found; only " + uuids + " are handed out");
                }
            }
            slots.put(name, value);
        }
        if (gpus.count() == 0 && (declaredSlots.containsKey("cuda.device") || declaredSlots.containsKey("cuda.shares"))) {
            plugins.put("cuda.declared", "true");
        }
        return new HostCapacity(slots, plugins, resources.architecture(), uuids, warnings);
    }
}
