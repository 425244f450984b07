package dev.sluice.agent;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Gives each kernel specific GPUs of this host: those no active session holds, in the order discovery found them. */
final class GpuAllocator {
    private final List<String> gpuIds;

    GpuAllocator(List<String> gpuIds) {
        this.gpuIds = List.copyOf(gpuIds);
    }

    /** The whole GPUs a kernel's slots ask for ({@code cuda.device}, a fraction rounded up; none without it). */
    static int requested(Map<String, String> slots) {
        String n = slots.get("cuda.device");
        if (n == null) {
            return 0;
        }
        return new BigDecimal(n).setScale(0, RoundingMode.CEILING).intValueExact();
    }

    /** {@code count} GPUs free of {@code entries}' active sessions, or empty when fewer are free. */
    Optional<List<String>> allocate(int count, Collection<LedgerEntry> entries) {
        if (count == 0) {
            return Optional.of(List.of());
        }
        Set<String> held = new HashSet<>();
        for (LedgerEntry e : entries) {
            if (e.active()) {
                held.addAll(e.gpus());
            }
        }
        List<String> free = gpuIds.stream().filter(g -> !held.contains(g)).toList();
        return free.size() < count ? Optional.empty() : Optional.of(new ArrayList<>(free.subList(0, count)));
    }
}
