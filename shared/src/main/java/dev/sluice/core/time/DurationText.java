package dev.sluice.core.time;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads and writes durations as people type them: {@code 0}, {@code 600}, {@code 90s}, {@code 30m}, {@code 2h}, {@code 1d}, {@code 1h30m}. */
public final class DurationText {
    private static final Pattern PART = Pattern.compile("(\\d+)([smhd])");
    private static final Pattern WHOLE = Pattern.compile("(\\d+[smhd])+");
    private static final long MAX_SECONDS = 366L * 24 * 3600;

    private DurationText() {
    }

    /** Parses a duration; empty when the text is not one (or exceeds a year). */
    public static Optional<Duration> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        String t = text.trim();
        if (t.matches("\\d{1,9}")) {
            long seconds = Long.parseLong(t);
            return seconds <= MAX_SECONDS ? Optional.of(Duration.ofSeconds(seconds)) : Optional.empty();
        }
        if (!WHOLE.matcher(t).matches()) {
            return Optional.empty();
        }
        long seconds = 0;
        Matcher m = PART.matcher(t);
        while (m.find()) {
            String digits = m.group(1);
            if (digits.length() > 9) {
                return Optional.empty();
            }
            long n = Long.parseLong(digits);
            seconds += switch (m.group(2)) {
                case "s" -> n;
                case "m" -> n * 60;
                case "h" -> n * 3600;
                default -> n * 86400;
            };
        }
        return seconds <= MAX_SECONDS ? Optional.of(Duration.ofSeconds(seconds)) : Optional.empty();
    }

    /** The shortest text that parses back to the same duration ({@code 0}, {@code 90s}, {@code 2h}, {@code 1h30m}). */
    public static String format(Duration d) {
        long s = d.getSeconds();
        if (s == 0) {
            return "0";
        }
        StringBuilder out = new StringBuilder();
        long days = s / 86400;
        long hours = (s % 86400) / 3600;
        long minutes = (s % 3600) / 60;
        long seconds = s % 60;
        if (days > 0) out.append(days).append('d');
        if (hours > 0) out.append(hours).append('h');
        if (minutes > 0) out.append(minutes).append('m');
        if (seconds > 0) out.append(seconds).append('s');
        return out.toString();
    }
}
