package dev.sluice.core.folder;

import java.util.Arrays;
import java.util.Optional;

/** How a folder is mounted: read-only, read-write, or read-write-delete (REFERENCE §6). */
public enum FolderPermission {
    RO, RW, WD;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Optional<FolderPermission> ofWire(String text) {
        return Arrays.stream(values()).filter(m -> m.wireName().equals(text)).findFirst();
    }
}
