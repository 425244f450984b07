package dev.sluice.core.usecase;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Listing cursors as clients see them: {@code base64url(content) "." base64url(HMAC-SHA256(key, listing NUL content))},
 * the MAC truncated to 16 bytes. A cursor opens only for the listing that gave it (a folder's prefix, the session
 * listing), so a forged, altered or borrowed cursor is refused before it reaches S3 or DynamoDB.
 *
 * <p>The key: on AWS, a secret the stack generates (Secrets Manager), read once per container by the adapter that
 * installs it with {@link #keyFrom}; else the environment variable {@code SLUICE_CURSOR_KEY} when set; otherwise derived
 * from the deployment's table names (every container of a deployment derives the same key, so paging works across
 * containers, but that key is not secret). Cursors are also validated field by field, so the MAC is a second line.
 */
public final class CursorSeal {
    /** The longest cursor taken: far above any S3 continuation token or session key, short enough for a query string. */
    public static final int MAX_CURSOR = 4096;
    private static final int MAC_BYTES = 16;
    private static final byte[] DEFAULT_KEY = key(System.getenv());
    private static volatile java.util.function.Supplier<byte[]> key = () -> DEFAULT_KEY;

    private CursorSeal() {
    }

    /**
     * Seals and opens with the key made from {@code material} (a secret of the deployment), asked for when a cursor is
     * first sealed or opened; the supplier keeps what it read (one read per container).
     */
    public static void keyFrom(java.util.function.Supplier<String> material) {
        key = () -> digest(material.get());
    }

    static byte[] key(java.util.Map<String, String> env) {
        String configured = env.get("SLUICE_CURSOR_KEY");
        return digest(configured != null && !configured.isEmpty() ? configured
                : "sluice-cursor-v1|" + env.getOrDefault("SESSIONS_TABLE", "") + "|" + env.getOrDefault("FOLDERS_TABLE", ""));
    }

    private static byte[] digest(String material) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(material.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is unavailable", e);
        }
    }

    /** The cursor of {@code content} for {@code listing}. */
    public static String seal(String listing, String content) {
        return seal(key.get(), listing, content);
    }

    static String seal(byte[] key, String listing, String content) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString(content.getBytes(StandardCharsets.UTF_8)) + "." + b64.encodeToString(mac(key, listing, content));
    }

    /** The content of a cursor {@link #seal} gave for {@code listing}; empty for anything else. */
    public static Optional<String> open(String listing, String cursor) {
        return open(key.get(), listing, cursor);
    }

    static Optional<String> open(byte[] key, String listing, String cursor) {
        if (cursor == null || cursor.isEmpty() || cursor.length() > MAX_CURSOR) {
            return Optional.empty();
        }
        int dot = cursor.indexOf('.');
        if (dot < 0 || cursor.indexOf('.', dot + 1) >= 0) {
            return Optional.empty();
        }
        try {
            Base64.Decoder b64 = Base64.getUrlDecoder();
            byte[] raw = b64.decode(cursor.substring(0, dot));
            byte[] given = b64.decode(cursor.substring(dot + 1));
            String content = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(raw)).toString();
            return MessageDigest.isEqual(given, mac(key, listing, content)) ? Optional.of(content) : Optional.empty();
        } catch (IllegalArgumentException | java.nio.charset.CharacterCodingException e) {
            return Optional.empty();
        }
    }

    private static byte[] mac(byte[] key, String listing, String content) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(listing.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0);
            return Arrays.copyOf(mac.doFinal(content.getBytes(StandardCharsets.UTF_8)), MAC_BYTES);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    }
}
