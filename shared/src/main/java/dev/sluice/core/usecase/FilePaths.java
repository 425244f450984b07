package dev.sluice.core.usecase;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.port.FolderStorage;
import dev.sluice.core.port.FolderStore;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The rules for the path of a file inside a folder, and for its storage key. */
public final class FilePaths {
    private FilePaths() {
    }

    /** S3's limit on a whole object key, in UTF-8 bytes. */
    public static final int MAX_KEY_BYTES = 1024;
    /** The longest file or directory name a POSIX host takes (NAME_MAX), in UTF-8 bytes. */
    public static final int MAX_SEGMENT_BYTES = 255;

    /**
     * A path inside a folder: relative, no empty, '.' or '..' segment, at most 1,024 UTF-8 bytes, each segment at most
     * 255 bytes (so that every host can write it).
     */
    static String objectPath(String path, String field) {
        if (path.isEmpty() || path.startsWith("/") || path.endsWith("/") || path.contains("\\")) {
            throw DomainException.invalid(field, "must be a relative file path (no leading or trailing '/', no '\\')");
        }
        if (utf8(path) > MAX_KEY_BYTES) {
            throw DomainException.invalid(field, "must be at most " + MAX_KEY_BYTES + " bytes in UTF-8 (it is " + utf8(path) + ")");
        }
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw DomainException.invalid(field, "must not contain empty, '.' or '..' segments");
            }
            if (utf8(segment) > MAX_SEGMENT_BYTES) {
                throw DomainException.invalid(field, "must not have a segment (a file or directory name) over " + MAX_SEGMENT_BYTES
                        + " bytes in UTF-8; one has " + utf8(segment));
            }
        }
        for (char c : path.toCharArray()) {
            if (c < 0x20 || c == 0x7f) {
                throw DomainException.invalid(field, "must not contain control characters");
            }
        }
        return path;
    }

    /** The storage key of {@code path} under {@code prefix}, refused when the whole key is over S3's 1,024 bytes. */
    static String objectKey(String prefix, String path, String field) {
        String key = prefix + path;
        if (utf8(key) > MAX_KEY_BYTES) {
            throw DomainException.invalid(field, "must be at most " + (MAX_KEY_BYTES - utf8(prefix)) + " bytes in UTF-8 in this folder (S3 keys are at most "
                    + MAX_KEY_BYTES + " bytes with the folder's " + utf8(prefix) + "-byte prefix; it is " + utf8(path) + ")");
        }
        return key;
    }

    /**
     * Refuses a new file {@code path} that no host could write beside the folder's files: a file named like one of its
     * directories ({@code a} beside {@code a/b}), or a path under an existing file ({@code a/b} beside {@code a}).
     */
    static void refuseCollision(FolderStorage storage, String prefix, String path, String field) {
        if (!storage.list(prefix + path + "/", Optional.empty(), 1).objects().isEmpty()) {
            throw DomainException.invalid(field, "names a directory of the folder's files ('" + path + "/...'); a file cannot have the same path");
        }
        for (int slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
            String parent = path.substring(0, slash);
            // The first key under "<prefix><parent>" is the parent itself when that file exists ("a" sorts before "a-", "a/", ...).
            List<FolderStorage.StoredObject> first = storage.list(prefix + parent, Optional.empty(), 1).objects();
            if (!first.isEmpty() && first.get(0).key().equals(prefix + parent)) {
                throw DomainException.invalid(field, "is under '" + parent + "', which is a file of the folder; a file cannot also be a directory");
            }
        }
    }

    /**
     * Claims {@code path} as a file of the folder (and its parents as directories) until {@code until}, before any URL
     * is given: of two uploads racing for {@code a} and {@code a/b} (a user's, or a session saving its writable mount),
     * exactly one gets its URL, the other a 422. {@link #refuseCollision} before it covers the files already stored.
     */
    static void claim(FolderStore store, String folderId, String path, String field, Instant until, Instant now) {
        if (path.chars().filter(c -> c == '/').count() > FolderStore.MAX_CLAIM_DEPTH) {
            throw DomainException.invalid(field, "must be at most " + FolderStore.MAX_CLAIM_DEPTH + " directories deep");
        }
        if (!store.claimFile(folderId, path, until, now)) {
            throw DomainException.invalid(field, "collides with another upload into this folder (a file and a directory of the same path: '"
                    + path + "' and one of its parents or a path under it); only one of them can be uploaded");
        }
    }

    private static int utf8(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }
}
