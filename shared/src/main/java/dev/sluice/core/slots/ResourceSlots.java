package dev.sluice.core.slots;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.request.RequestFields;
import java.math.BigDecimal;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Amounts of named resources (cpu cores, memory bytes, whole or fractional GPUs).
 * A slot that is not named counts as zero; amounts are exact decimals.
 *
 * <p>The one place of slot arithmetic (issue #15): the list of known slots, parsing, add, subtract, multiply, fits,
 * free capacity, limits and shares, and the fixed-point fast path the planner's inner loops use
 * ({@link #microUnits()}, {@link #microFits}, {@link #microTimes}, {@link #microFree}, {@link #microCompare},
 * {@link #fromMicroUnits}). No other class computes with slot amounts or keeps its own list of slot names.
 */
public final class ResourceSlots {
    public static final String CPU = "cpu";
    public static final String MEM = "mem";
    public static final String CUDA_DEVICE = "cuda.device";
    public static final String CUDA_SHARES = "cuda.shares";
    public static final String ROCM_DEVICE = "rocm.device";
    public static final String TPU_DEVICE = "tpu.device";

    /** Known slot names in comparison order: accelerators first, then cpu, then memory. */
    public static final List<String> KNOWN = List.of(CUDA_DEVICE, CUDA_SHARES, ROCM_DEVICE, TPU_DEVICE, CPU, MEM);
    private static final Set<String> WHOLE_UNITS = Set.of(CUDA_DEVICE, ROCM_DEVICE, TPU_DEVICE, MEM);
    private static final Comparator<String> SLOT_ORDER = Comparator.comparingInt(KNOWN::indexOf);

    /** How many slots the fixed-point form has: one long per known slot, in {@link #KNOWN} order. */
    public static final int MICRO_SIZE = KNOWN.size();

    public static final ResourceSlots EMPTY = new ResourceSlots(Map.of());

    private final Map<String, BigDecimal> amounts;
    private volatile long[] micro;

    private ResourceSlots(Map<String, BigDecimal> amounts) {
        TreeMap<String, BigDecimal> sorted = new TreeMap<>(SLOT_ORDER);
        amounts.forEach((k, v) -> {
            if (v.signum() != 0) {
                sorted.put(k, v.stripTrailingZeros());
            }
        });
        this.amounts = Collections.unmodifiableMap(sorted);
    }

    /** Builds slots from trusted amounts (already validated, e.g. read back from storage). */
    public static ResourceSlots of(Map<String, BigDecimal> amounts) {
        amounts.forEach((k, v) -> {
            if (!KNOWN.contains(k)) {
                throw new IllegalArgumentException("unknown slot " + k);
            }
            if (v.signum() < 0) {
                throw new IllegalArgumentException("negative amount for " + k);
            }
        });
        return new ResourceSlots(amounts);
    }

    /**
     * Parses a client's slot map, the object {@code f} (as {@code RequestFields.of(body).at("resource_slots")} or a
     * request's {@code optionalObject}): values are numbers or decimal strings; {@code mem} also takes binary sizes such
     * as {@code 16g}. Errors name the slot by its path ({@code resource_slots.cpu}).
     */
    public static ResourceSlots parse(RequestFields f) {
        Map<String, BigDecimal> parsed = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : f.raw().entrySet()) {
            String slot = e.getKey();
            String field = f.path(slot);
            if (!KNOWN.contains(slot)) {
                throw DomainException.invalid(field, "is not a known resource slot; the known slots are " + KNOWN);
            }
            BigDecimal amount = parseAmount(field, slot, e.getValue());
            if (amount.signum() < 0) {
                throw DomainException.invalid(field, "must not be negative");
            }
            if (WHOLE_UNITS.contains(slot) && amount.stripTrailingZeros().scale() > 0) {
                throw DomainException.invalid(field, "must be a whole number");
            }
            if (amount.stripTrailingZeros().scale() > 6) {
                throw DomainException.invalid(field, "must have at most 6 decimal places");
            }
            if (amount.compareTo(maximum(slot)) > 0) {
                throw DomainException.invalid(field, "must be at most " + maximum(slot).toPlainString());
            }
            parsed.put(slot, amount);
        }
        return new ResourceSlots(parsed);
    }

    private static BigDecimal parseAmount(String field, String slot, Object value) {
        if (value instanceof Number n) {
            return decimal(field, n.toString());
        }
        if (value instanceof String s) {
            String text = s.trim().toLowerCase(java.util.Locale.ROOT);
            if (MEM.equals(slot) && !text.isEmpty() && "kmgtp".indexOf(text.charAt(text.length() - 1)) >= 0) {
                int power = "kmgtp".indexOf(text.charAt(text.length() - 1)) + 1;
                BigDecimal base = decimal(field, text.substring(0, text.length() - 1));
                return base.multiply(BigDecimal.valueOf(1024).pow(power)).setScale(0, java.math.RoundingMode.CEILING);
            }
            return decimal(field, text);
        }
        throw DomainException.invalid(field, "must be a number or a decimal string");
    }

    private static BigDecimal decimal(String field, String text) {
        try {
            BigDecimal d = new BigDecimal(text);
            // Refuse absurd exponents before any arithmetic: 1e999999999 would make scaling throw or spin.
            if (d.scale() < -30 || d.scale() > 30 || d.precision() > 40) {
                throw DomainException.invalid(field, "is out of range");
            }
            return d;
        } catch (NumberFormatException e) {
            throw DomainException.invalid(field, "must be a number or a decimal string, not '" + text + "'");
        }
    }

    /** Millionths for the fractional slots, whole units (bytes, devices) for the others. */
    public static int fixedPointScale(String slot) {
        return WHOLE_UNITS.contains(slot) ? 0 : 6;
    }

    /** The largest amount a slot may ask for: its fixed-point form times a 64-kernel cluster still fits in a long. */
    private static BigDecimal maximum(String slot) {
        return WHOLE_UNITS.contains(slot) ? BigDecimal.TEN.pow(16) : BigDecimal.TEN.pow(9);
    }

    /**
     * The amounts as fixed-point longs in {@link #KNOWN} order (millionths of a cpu or GPU share, whole bytes and
     * devices): the exact form the scheduler's inner loops use. Computed once per value; the caller gets its own copy.
     */
    public long[] microUnits() {
        long[] m = micro;
        if (m == null) {
            m = new long[KNOWN.size()];
            for (Map.Entry<String, BigDecimal> e : amounts.entrySet()) {
                m[KNOWN.indexOf(e.getKey())] = e.getValue().movePointRight(fixedPointScale(e.getKey())).longValueExact();
            }
            micro = m;
        }
        return m.clone();
    }

    /** The slots of a fixed-point vector ({@link #microUnits()} form); the inverse of {@link #microUnits()}. */
    public static ResourceSlots fromMicroUnits(long[] v) {
        Map<String, BigDecimal> m = new LinkedHashMap<>();
        for (int i = 0; i < MICRO_SIZE; i++) {
            if (v[i] != 0) {
                String slot = KNOWN.get(i);
                m.put(slot, BigDecimal.valueOf(v[i], fixedPointScale(slot)));
            }
        }
        return of(m);
    }

    /** Fixed-point {@link #fitsIn}: every slot of {@code request} is at most the same slot of {@code free}. */
    public static boolean microFits(long[] request, long[] free) {
        for (int i = 0; i < MICRO_SIZE; i++) {
            if (request[i] > free[i]) {
                return false;
            }
        }
        return true;
    }

    /** Fixed-point {@link #times}: a new vector, {@code n} times {@code v} (exact; overflow throws). */
    public static long[] microTimes(long[] v, int n) {
        long[] out = new long[MICRO_SIZE];
        for (int i = 0; i < MICRO_SIZE; i++) {
            out[i] = Math.multiplyExact(v[i], n);
        }
        return out;
    }

    /** Fixed-point {@link #freeAfter}: a new vector, {@code available - occupied} slot by slot, never below zero. */
    public static long[] microFree(long[] available, long[] occupied) {
        long[] out = new long[MICRO_SIZE];
        for (int i = 0; i < MICRO_SIZE; i++) {
            out[i] = Math.max(0, available[i] - occupied[i]);
        }
        return out;
    }

    /** Lexicographic comparison of fixed-point vectors in slot order (accelerators first, then cpu, then memory). */
    public static int microCompare(long[] a, long[] b) {
        for (int i = 0; i < MICRO_SIZE; i++) {
            int c = Long.compare(a[i], b[i]);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    /** The amount of a slot; zero when the slot is not named. */
    public BigDecimal get(String slot) {
        return amounts.getOrDefault(slot, BigDecimal.ZERO);
    }

    public Map<String, BigDecimal> amounts() {
        return amounts;
    }

    public boolean isEmpty() {
        return amounts.isEmpty();
    }

    /** True when every slot of this request is at most the same slot of {@code capacity}. */
    public boolean fitsIn(ResourceSlots capacity) {
        for (Map.Entry<String, BigDecimal> e : amounts.entrySet()) {
            if (e.getValue().compareTo(capacity.get(e.getKey())) > 0) {
                return false;
            }
        }
        return true;
    }

    public ResourceSlots add(ResourceSlots other) {
        Map<String, BigDecimal> sum = new LinkedHashMap<>(amounts);
        other.amounts.forEach((k, v) -> sum.merge(k, v, BigDecimal::add));
        return new ResourceSlots(sum);
    }

    /** {@code n} times these slots (a gang of {@code n} kernels asking for the same); empty for {@code n <= 0}. */
    public ResourceSlots times(int n) {
        if (n <= 0) {
            return EMPTY;
        }
        Map<String, BigDecimal> product = new LinkedHashMap<>();
        amounts.forEach((k, v) -> product.put(k, v.multiply(BigDecimal.valueOf(n))));
        return new ResourceSlots(product);
    }

    /**
     * The capacity (this) not taken by {@code occupied}, never below zero: a capacity that shrank under what is held
     * on it (a GPU gone, slots declared lower) simply has nothing free of that slot.
     */
    public ResourceSlots freeAfter(ResourceSlots occupied) {
        Map<String, BigDecimal> free = new LinkedHashMap<>();
        amounts.forEach((slot, amount) -> {
            BigDecimal left = amount.subtract(occupied.get(slot));
            if (left.signum() > 0) {
                free.put(slot, left);
            }
        });
        return new ResourceSlots(free);
    }

    /** True when these amounts stay within {@code limit}: a limit restricts only the slots it names, the others are unlimited. */
    public boolean withinLimit(ResourceSlots limit) {
        for (Map.Entry<String, BigDecimal> e : limit.amounts.entrySet()) {
            if (get(e.getKey()).compareTo(e.getValue()) > 0) {
                return false;
            }
        }
        return true;
    }

    /** The largest share these amounts take of {@code capacity}, over the slots the capacity has (DRF's dominant share). */
    public BigDecimal dominantShareOf(ResourceSlots capacity) {
        BigDecimal max = BigDecimal.ZERO;
        for (Map.Entry<String, BigDecimal> e : amounts.entrySet()) {
            BigDecimal cap = capacity.get(e.getKey());
            if (cap.signum() > 0) {
                max = max.max(e.getValue().divide(cap, 9, java.math.RoundingMode.HALF_UP));
            }
        }
        return max;
    }

    /** The difference; a slot may go negative only if the caller subtracts more than it has. */
    public ResourceSlots subtract(ResourceSlots other) {
        Map<String, BigDecimal> diff = new LinkedHashMap<>(amounts);
        other.amounts.forEach((k, v) -> diff.merge(k, v.negate(), BigDecimal::add));
        for (BigDecimal v : diff.values()) {
            if (v.signum() < 0) {
                throw new IllegalStateException("subtracting " + other + " from " + this + " goes below zero");
            }
        }
        return new ResourceSlots(diff);
    }

    /** Slot amounts as plain decimal strings, for storage and JSON. */
    public Map<String, String> toStrings() {
        Map<String, String> out = new LinkedHashMap<>();
        amounts.forEach((k, v) -> out.put(k, v.toPlainString()));
        return out;
    }

    public static ResourceSlots fromStrings(Map<String, String> stored) {
        Map<String, BigDecimal> parsed = new LinkedHashMap<>();
        if (stored != null) {
            stored.forEach((k, v) -> parsed.put(k, new BigDecimal(v)));
        }
        return of(parsed);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ResourceSlots other && amounts.equals(other.amounts);
    }

    @Override
    public int hashCode() {
        return amounts.hashCode();
    }

    @Override
    public String toString() {
        return toStrings().toString();
    }

    /**
     * The slots as a person writes them, for messages: {@code cpu=2 mem=8g cuda.device=1} (memory in the largest of
     * k, m, g, t that divides it exactly, as requests may give it; bytes otherwise).
     */
    public String describe() {
        StringBuilder out = new StringBuilder();
        amounts.forEach((k, v) -> out.append(out.length() == 0 ? "" : " ").append(k).append('=')
                .append(k.equals(MEM) ? memory(v) : v.stripTrailingZeros().toPlainString()));
        return out.length() == 0 ? "nothing" : out.toString();
    }

    private static String memory(BigDecimal bytes) {
        String[] units = {"t", "g", "m", "k"};
        for (int i = 0; i < units.length; i++) {
            BigDecimal unit = BigDecimal.valueOf(1024).pow(units.length - i);
            if (bytes.signum() > 0 && bytes.remainder(unit).signum() == 0) {
                return bytes.divide(unit).toPlainString() + units[i];
            }
        }
        return bytes.stripTrailingZeros().toPlainString();
    }
}
