package dev.sluice.core.port;

/**
 * The per-user secret that signs the deliveries to sessions' {@code callback_url}s. Made on first use; a rotation
 * returns the new one (the only way to read it) and keeps the old one valid for a grace period.
 */
public interface CallbackSecrets {
    /** The secrets to sign with now (the current one first), creating the owner's secret if there is none yet. */
    java.util.List<String> signingSecrets(String owner, java.time.Instant now);

    /** A new secret for the owner, the previous one valid until {@code graceUntil}; returns the new one. */
    String rotate(String owner, String newSecret, java.time.Instant graceUntil);
}
