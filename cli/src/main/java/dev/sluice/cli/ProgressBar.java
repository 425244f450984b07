package dev.sluice.cli;

import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/** One line of progress, redrawn in place: a bar, objects and bytes done of total, the rate and the time left. */
final class ProgressBar {
    private static final int WIDTH = 24;
    private final PrintStream out;
    private final Clock clock;
    private final Instant started;
    private boolean drawn;

    ProgressBar(PrintStream out, Clock clock) {
        this.out = out;
        this.clock = clock;
        this.started = clock.instant();
    }

    /** The line for these counters after {@code elapsed}. */
    static String line(long objectsDone, long objectsTotal, long bytesDone, long bytesTotal, Duration elapsed, String phase) {
        double fraction = bytesTotal > 0 ? (double) bytesDone / bytesTotal : objectsTotal > 0 ? (double) objectsDone / objectsTotal : 0;
        fraction = Math.max(0, Math.min(1, fraction));
        int filled = (int) Math.round(fraction * WIDTH);
        double seconds = Math.max(elapsed.toMillis() / 1000.0, 0.001);
        double objectRate = objectsDone / seconds;
        double byteRate = bytesDone / seconds;
        String eta = "-";
        if (byteRate > 0 && bytesTotal > bytesDone) {
            eta = duration((long) Math.ceil((bytesTotal - bytesDone) / byteRate));
        } else if (objectRate > 0 && objectsTotal > objectsDone) {
            eta = duration((long) Math.ceil((objectsTotal - objectsDone) / objectRate));
        } else if (objectsTotal > 0 && objectsDone >= objectsTotal) {
            eta = "0s";
        }
        return String.format(Locale.ROOT, "[%s%s] %3d%%  %,d/%,d objects  %s/%s  %,.0f obj/s  %s/s  ETA %s  %s",
                "#".repeat(filled), ".".repeat(WIDTH - filled), Math.round(fraction * 100), objectsDone, objectsTotal,
                bytes(bytesDone), bytes(bytesTotal), objectRate, bytes((long) byteRate), eta, phase);
    }

    void draw(long objectsDone, long objectsTotal, long bytesDone, long bytesTotal, String phase) {
        out.print("\r" + line(objectsDone, objectsTotal, bytesDone, bytesTotal, Duration.between(started, clock.instant()), phase));
        out.flush();
        drawn = true;
    }

    void finish() {
        if (drawn) {
            out.println();
        }
    }

    static String bytes(long n) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? n + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    static String duration(long seconds) {
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return (seconds / 60) + "m" + (seconds % 60) + "s";
        }
        return (seconds / 3600) + "h" + (seconds % 3600 / 60) + "m";
    }
}
