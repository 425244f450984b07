package dev.sluice.agent;

import dev.sluice.agent.runtime.SessionRuntime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** This host's capacity: discovered CPU, memory and GPUs, with the declared slots of the configuration on top. */
final class HostCapacity {
    private HostCapacity() {
    }

    static Capacity discover(AgentConfig config) {
        Map<String, String> slots = new LinkedHashMap<>();
        slots.put("cpu", Integer.toString(Runtime.getRuntime().availableProcessors()));
        slots.put("mem", Long.toString(memoryBytes()));
        slots.putAll(config.declaredSlots());
        List<String> gpus = new ArrayList<>();
        String declared = slots.get("cuda.device");
        if (declared != null) {
            for (int i = 0; i < Integer.parseInt(declared); i++) {
                gpus.add("fake-gpu-" + i);
            }
        }
        return new Capacity(slots, Map.of(), arch(), gpus);
    }

    static String arch() {
        String a = System.getProperty("os.arch");
        return a.equals("amd64") ? "x86_64" : a.equals("arm64") ? "aarch64" : a;
    }

    private static long memoryBytes() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getTotalMemorySize();
        }
        return Runtime.getRuntime().maxMemory();
    }

    static SessionRuntime dockerRuntime(AgentConfig config) {
        throw new IllegalStateException("the docker runtime is not part of this build yet; use runtime=process");
    }
}
