package dev.sluice.core.scheduler;

import dev.sluice.core.slots.ResourceSlots;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Slot amounts as fixed-point longs (micro-units) in the order of {@link ResourceSlots#KNOWN}, so the planner's inner
 * loops compare and add exactly and without allocation. Amounts beyond 9.2e12 units of a slot are not representable.
 */
final class SlotVector {
    static final int SIZE = ResourceSlots.KNOWN.size();

    private SlotVector() {
    }

    static long[] of(ResourceSlots slots) {
        return slots.microUnits();
    }

    static ResourceSlots toSlots(long[] v) {
        Map<String, BigDecimal> m = new LinkedHashMap<>();
        for (int i = 0; i < SIZE; i++) {
            if (v[i] != 0) {
                String slot = ResourceSlots.KNOWN.get(i);
                m.put(slot, BigDecimal.valueOf(v[i], ResourceSlots.fixedPointScale(slot)));
            }
        }
        return ResourceSlots.of(m);
    }

    static boolean fits(long[] request, long[] free) {
        for (int i = 0; i < SIZE; i++) {
            if (request[i] > free[i]) {
                return false;
            }
        }
        return true;
    }

    static long[] times(long[] v, int n) {
        long[] out = new long[SIZE];
        for (int i = 0; i < SIZE; i++) {
            out[i] = Math.multiplyExact(v[i], n);
        }
        return out;
    }

    /** Lexicographic comparison in slot order (accelerators first). */
    static int compare(long[] a, long[] b) {
        for (int i = 0; i < SIZE; i++) {
            int c = Long.compare(a[i], b[i]);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }
}
