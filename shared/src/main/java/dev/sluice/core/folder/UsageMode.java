package dev.sluice.core.folder;

import java.util.Arrays;
import java.util.Optional;

/** What a folder holds (REFERENCE §6). */
public enum UsageMode {
    GENERAL, MODEL, DATA;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Optional<UsageMode> ofWire(String text) {
        return Arrays.stream(values()).filter(m -> m.wireName().equals(text)).findFirst();
    }
}
