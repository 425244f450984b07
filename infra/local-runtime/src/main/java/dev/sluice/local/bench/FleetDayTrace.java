package dev.sluice.local.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * The day of sessions the fleet benchmark replays (issue 17): generated from a seed, committed as
 * {@code docs/bench/fleet-day-trace.csv}, and checked by a test to be what {@link #generate} makes of its seed.
 *
 * <p>The distribution (hours are of the simulated day, 00:00-24:00 UTC):
 * <ul>
 *   <li>Arrivals: two non-homogeneous Poisson processes (drawn by thinning), whose rate follows the day:
 *       {@code day(h) = ((1 - cos(2 pi (h - 2) / 24)) / 2)^2}, 0 at 02:00 and 1 at 14:00. Interactive:
 *       {@code 0.3 + 12 day(h)} an hour (about 115 a day); batch: {@code 1 + 8 day(h)} an hour (about 96), plus a
 *       nightly pipeline of 12 single-GPU batch jobs submitted 01:00-01:05
 *       (durations as other single-GPU batch jobs).</li>
 *   <li>Interactive sessions: 90% ask 1 GPU, 10% 4 GPUs; they last a log-normal time, median 90 min, sigma 0.6,
 *       clipped to 15 min - 8 h.</li>
 *   <li>Batch jobs: 60% ask 1 GPU (median 25 min), 28% 4 GPUs (median 45 min), 12% 8 GPUs (median 90 min);
 *       log-normal, sigma 1.0, clipped to 3 min - 6 h.</li>
 *   <li>Two multi-node gangs (batch): 2 kernels of 8 GPUs at 10:30 for 3 h, and 4 kernels of 4 GPUs at 15:00 for
 *       2 h (each arrival jittered by up to 10 min).</li>
 *   <li>Every GPU comes with 4 CPUs and 16 GiB of memory per kernel (a 4-GPU kernel asks 16 CPUs and 64 GiB).</li>
 * </ul>
 * Only {@link Random} (specified to be the same on every JVM) and {@link StrictMath} are used, and times are whole
 * seconds, so a seed gives the same trace everywhere.
 */
public final class FleetDayTrace {
    public static final long SEED = 17;
    public static final String COMMITTED = "docs/bench/fleet-day-trace.csv";
    public static final String HEADER = "id,arrival_s,kind,gpus,kernels,duration_s";
    static final int DAY = 86_400;

    private FleetDayTrace() {
    }

    /** One session of the trace: when it arrives (seconds into the day), what it asks per kernel, and how long it runs. */
    public record Entry(String id, int arrivalSeconds, String kind, int gpus, int kernels, int durationSeconds) {
        public Entry {
            if (!kind.equals("interactive") && !kind.equals("batch")) {
                throw new IllegalArgumentException("kind must be interactive or batch, not " + kind);
            }
            if (gpus < 1 || kernels < 1 || durationSeconds < 1 || arrivalSeconds < 0) {
                throw new IllegalArgumentException("a trace entry needs gpus, kernels, duration >= 1 and arrival >= 0: " + id);
            }
        }

        /** GPUs of all its kernels. */
        public int totalGpus() {
            return gpus * kernels;
        }

        String csv() {
            return String.join(",", id, Integer.toString(arrivalSeconds), kind, Integer.toString(gpus), Integer.toString(kernels),
                    Integer.toString(durationSeconds));
        }
    }

    static double day(double hour) {
        double d = (1 - StrictMath.cos(2 * StrictMath.PI * (hour - 2) / 24)) / 2;
        return d * d;
    }

    static double interactiveRate(double hour) {
        return 0.3 + 12 * day(hour);
    }

    static double batchRate(double hour) {
        return 1 + 8 * day(hour);
    }

    public static List<Entry> generate(long seed) {
        Random r = new Random(seed);
        List<Entry> out = new ArrayList<>();
        // Thinning: candidate arrivals at the maximal rate, each kept with probability rate(t) / max.
        for (String kind : List.of("interactive", "batch")) {
            double max = kind.equals("interactive") ? interactiveRate(14) : batchRate(14);
            double t = 0;
            while (true) {
                t += -StrictMath.log(1 - r.nextDouble()) / max * 3600;
                if (t >= DAY) {
                    break;
                }
                double hour = t / 3600;
                double rate = kind.equals("interactive") ? interactiveRate(hour) : batchRate(hour);
                if (r.nextDouble() * max >= rate) {
                    continue;
                }
                out.add(kind.equals("interactive") ? interactive((int) t, r) : batch((int) t, r));
            }
        }
        for (int i = 0; i < 12; i++) {
            out.add(new Entry("", 3600 + r.nextInt(300), "batch", 1, 1, logNormal(r, 25 * 60, 1.0, 3 * 60, 6 * 3600)));
        }
        out.add(new Entry("", 10 * 3600 + 1800 + r.nextInt(600), "batch", 8, 2, 3 * 3600));
        out.add(new Entry("", 15 * 3600 + r.nextInt(600), "batch", 4, 4, 2 * 3600));
        out.sort(Comparator.comparingInt(Entry::arrivalSeconds).thenComparing(Entry::kind).thenComparingInt(Entry::gpus));
        List<Entry> named = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) {
            Entry e = out.get(i);
            named.add(new Entry(String.format("s%03d", i + 1), e.arrivalSeconds(), e.kind(), e.gpus(), e.kernels(), e.durationSeconds()));
        }
        return named;
    }

    private static Entry interactive(int at, Random r) {
        int gpus = r.nextDouble() < 0.9 ? 1 : 4;
        return new Entry("", at, "interactive", gpus, 1, logNormal(r, 90 * 60, 0.6, 15 * 60, 8 * 3600));
    }

    private static Entry batch(int at, Random r) {
        double u = r.nextDouble();
        int gpus = u < 0.60 ? 1 : u < 0.88 ? 4 : 8;
        int median = gpus == 1 ? 25 * 60 : gpus == 4 ? 45 * 60 : 90 * 60;
        return new Entry("", at, "batch", gpus, 1, logNormal(r, median, 1.0, 3 * 60, 6 * 3600));
    }

    private static int logNormal(Random r, double median, double sigma, int min, int max) {
        double v = median * StrictMath.exp(sigma * r.nextGaussian());
        return (int) Math.max(min, Math.min(max, StrictMath.round(v)));
    }

    public static String csv(List<Entry> entries, long seed) {
        StringBuilder b = new StringBuilder();
        b.append("# A day of GPU sessions for the fleet benchmark (issue 17), made by dev.sluice.local.bench.FleetDayTrace with seed ")
                .append(seed).append(".\n");
        b.append("# Regenerate: java -cp infra/local-runtime/target/sluice-local-runtime.jar dev.sluice.local.bench.FleetDayTrace .\n");
        b.append("# arrival_s: seconds after 00:00 UTC; gpus: per kernel (each GPU with 4 CPUs and 16 GiB); kernels > 1: a multi-node gang.\n");
        b.append(HEADER).append('\n');
        for (Entry e : entries) {
            b.append(e.csv()).append('\n');
        }
        return b.toString();
    }

    public static List<Entry> parse(String text) {
        List<Entry> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#") || l.equals(HEADER)) {
                continue;
            }
            String[] f = l.split(",");
            if (f.length != 6) {
                throw new IllegalArgumentException("a trace line has 6 fields (" + HEADER + "), not: " + l);
            }
            out.add(new Entry(f[0], Integer.parseInt(f[1]), f[2], Integer.parseInt(f[3]), Integer.parseInt(f[4]), Integer.parseInt(f[5])));
        }
        return out;
    }

    public static List<Entry> read(Path root) throws IOException {
        return parse(Files.readString(root.resolve(COMMITTED)));
    }

    /** Writes the trace of {@link #SEED} to {@link #COMMITTED} under the root given (default: the working directory). */
    public static void main(String[] args) throws IOException {
        Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        Path file = root.resolve(COMMITTED);
        Files.createDirectories(file.getParent());
        List<Entry> entries = generate(SEED);
        Files.writeString(file, csv(entries, SEED));
        System.out.println("wrote " + entries.size() + " sessions to " + file);
    }
}
