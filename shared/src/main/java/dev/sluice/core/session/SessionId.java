package dev.sluice.core.session;

import java.util.regex.Pattern;

/**
 * The shape of a session id, defined once: letters, digits and dashes, 1 to 64 characters (issue #15). Ids the
 * control plane makes are UUIDs; anything else a client sends is either refused or reported as not found.
 */
public final class SessionId {
    /** The session id pattern (whole string). */
    public static final Pattern PATTERN = Pattern.compile("[A-Za-z0-9-]{1,64}");

    private SessionId() {
    }

    /** True when {@code id} has the shape of a session id; false for null. */
    public static boolean isWellFormed(String id) {
        return id != null && PATTERN.matcher(id).matches();
    }
}
