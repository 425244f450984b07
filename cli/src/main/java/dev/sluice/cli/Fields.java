package dev.sluice.cli;

import java.util.ArrayList;
import java.util.List;

/** A short key/value block, keys aligned: how one session or group is shown. Empty values are left out. */
final class Fields {
    private final List<String[]> entries = new ArrayList<>();

    Fields add(String key, String value) {
        if (value != null && !value.isBlank()) {
            entries.add(new String[] {key, value});
        }
        return this;
    }

    @Override
    public String toString() {
        int width = entries.stream().mapToInt(e -> e[0].length()).max().orElse(0) + 2;
        StringBuilder b = new StringBuilder();
        for (String[] e : entries) {
            String key = e[0] + ":";
            b.append(key).append(" ".repeat(width - key.length())).append(e[1]).append('\n');
        }
        return b.toString();
    }
}
