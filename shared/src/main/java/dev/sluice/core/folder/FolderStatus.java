package dev.sluice.core.folder;

import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The statuses of a virtual folder (REFERENCE §6) and, as data, which status may follow which. */
public enum FolderStatus {
    READY("ready"),
    PERFORMING("performing"),
    CLONING("cloning"),
    MOUNTED("mounted"),
    ERROR("error"),
    DELETE_PENDING("delete-pending"),
    DELETE_ONGOING("delete-ongoing"),
    DELETE_COMPLETE("delete-complete"),
    DELETE_ERROR("delete-error");

    private static final Map<FolderStatus, Set<FolderStatus>> NEXT = Map.of(
            READY, EnumSet.of(PERFORMING, MOUNTED, DELETE_PENDING),
            PERFORMING, EnumSet.of(READY),
            CLONING, EnumSet.of(READY, ERROR),
            MOUNTED, EnumSet.of(READY),
            ERROR, EnumSet.of(DELETE_PENDING),
            DELETE_PENDING, EnumSet.of(DELETE_ONGOING, DELETE_ERROR),
            DELETE_ONGOING, EnumSet.of(DELETE_COMPLETE, DELETE_ERROR),
            DELETE_COMPLETE, EnumSet.noneOf(FolderStatus.class),
            DELETE_ERROR, EnumSet.of(DELETE_PENDING));

    private final String wireName;

    FolderStatus(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public boolean mayBecome(FolderStatus next) {
        return NEXT.get(this).contains(next);
    }

    /** The statuses from which {@code next} may be reached. */
    public static Set<FolderStatus> from(FolderStatus next) {
        Set<FolderStatus> out = EnumSet.noneOf(FolderStatus.class);
        for (FolderStatus s : values()) {
            if (s.mayBecome(next)) {
                out.add(s);
            }
        }
        return out;
    }

    /** A folder in one of these statuses is on its way out (or broken) and cannot be used. */
    public boolean isDeletingOrBroken() {
        return this == ERROR || this == DELETE_PENDING || this == DELETE_ONGOING || this == DELETE_COMPLETE || this == DELETE_ERROR;
    }

    /**
     * The rule of a usable folder, the one place it is said: its files may be read (downloaded, mounted by a session,
     * copied onto an agent's host) unless it is being cloned into, deleted or broken.
     */
    public boolean isUsable() {
        return !isDeletingOrBroken() && this != CLONING;
    }

    /**
     * Whether the folder takes new files (uploads, a session's changes saved back): only when ready or mounted; a folder
     * being cloned from must not change under the copy.
     */
    public boolean takesWrites() {
        return this == READY || this == MOUNTED;
    }

    public static Optional<FolderStatus> ofWire(String text) {
        for (FolderStatus s : values()) {
            if (s.wireName.equals(text)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
