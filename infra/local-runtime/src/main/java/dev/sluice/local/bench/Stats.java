package dev.sluice.local.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Percentiles of a set of durations, in nanoseconds. */
public record Stats(long p50, long p90, long p99, long max, int count) {

    public static Stats of(List<Long> nanos) {
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        return new Stats(at(sorted, 0.50), at(sorted, 0.90), at(sorted, 0.99), sorted.get(sorted.size() - 1), sorted.size());
    }

    private static long at(List<Long> sorted, double q) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
    }

    public static String ms(long nanos) {
        return String.format("%.2f ms", nanos / 1e6);
    }

    public String row(String label) {
        return String.format("| %s | %.2f ms | %.2f ms | %.2f ms | %.2f ms |", label, p50 / 1e6, p90 / 1e6, p99 / 1e6, max / 1e6);
    }
}
