package dev.sluice.local.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** The pure arithmetic of the fleet reaction benchmark: medians, and what a whole-second launch time bounds. */
public final class ReactionMath {
    private ReactionMath() {
    }

    /** The median of the values (the mean of the two middle ones when their count is even). */
    public static double median(List<Double> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("the median of no values is undefined");
        }
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** Milliseconds from {@code from} to {@code to}, negative when {@code to} is earlier. */
    public static double millis(Instant from, Instant to) {
        return Duration.between(from, to).toNanos() / 1e6;
    }

    /**
     * The interval, in ms after {@code from}, that holds a moment the emulator reports truncated to whole seconds
     * ({@code reported}, e.g. an instance's LaunchTime written {@code ...:SS.000Z}): [reported, reported + 1 s).
     */
    public static double[] truncatedSecondWindow(Instant from, Instant reported) {
        double low = millis(from, reported);
        return new double[] {low, low + 1000};
    }

    /**
     * Whether a launch request at {@code since} agrees with the emulator's whole-second {@code launchTime} of its
     * instance: the launch follows the request by at most {@code callBound} (the CreateFleet call), and lies in
     * [launchTime, launchTime + 1 s).
     */
    public static boolean consistent(Instant since, Instant launchTime, Duration callBound) {
        return since.isBefore(launchTime.plusSeconds(1)) && !launchTime.isAfter(since.plus(callBound));
    }

    /** The Sluice path's median over the direct call's median, and their difference in ms: {ratio, difference}. */
    public static double[] versusBaseline(List<Double> path, List<Double> baseline) {
        double p = median(path);
        double b = median(baseline);
        return new double[] {p / b, p - b};
    }
}
