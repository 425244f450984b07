package dev.sluice.agent.runtime;

/**
 * When the Docker runtime pulls a session's image (agent setting {@code image.pull}).
 *
 * <ul>
 *   <li>{@link #MISSING}: only when it is not on the host;</li>
 *   <li>{@link #ALWAYS}: before every start;</li>
 *   <li>{@link #MUTABLE} (the default): when missing, and again each start for a tag that moves — {@code :latest}
 *       or no tag at all — so a new push is picked up; a pinned tag or a digest is used as it is.</li>
 * </ul>
 *
 * A re-pull of an image that is on the host and fails (no registry answers, a registry outage) does not fail the
 * session: the image on the host is used, and the agent's log says so.
 */
public enum PullPolicy {
    MISSING, ALWAYS, MUTABLE;

    public static PullPolicy parse(String text) {
        return switch (text.trim()) {
            case "missing" -> MISSING;
            case "always" -> ALWAYS;
            case "mutable" -> MUTABLE;
            default -> throw new IllegalArgumentException("image.pull must be missing, always or mutable, not " + text);
        };
    }

    /** Whether to pull {@code image}, given whether it is already on the host. */
    public boolean pulls(String image, boolean present) {
        return !present || this == ALWAYS || (this == MUTABLE && mutableTag(image));
    }

    /**
     * Whether a reference names a tag that moves: {@code latest} or none (which means {@code latest}); a reference with
     * a digest ({@code name@sha256:...}) never does.
     */
    public static boolean mutableTag(String image) {
        if (image.contains("@")) {
            return false;
        }
        int slash = image.lastIndexOf('/');
        int colon = image.lastIndexOf(':');
        // A colon before the last slash is a registry's port (registry:5000/team/image), not a tag.
        return colon <= slash || image.substring(colon + 1).equals("latest");
    }
}
