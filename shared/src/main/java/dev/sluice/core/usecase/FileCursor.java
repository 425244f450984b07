package dev.sluice.core.usecase;

/** The cursor of a listing of the files under a folder's prefix (the API's and the agent's), opaque to the client. */
public final class FileCursor {
    private FileCursor() {
    }

    /**
     * Cursors are the storage's continuation tokens sealed for the folder's prefix ({@link CursorSeal}), so that a
     * cursor of another folder, an altered one or anything else is refused before S3. A token of any length round-trips.
     */
    static String encodeCursor(String prefix, String token) {
        return CursorSeal.seal("folder-files:" + prefix, token);
    }

    /** The continuation token of a cursor {@link #encodeCursor} gave for this prefix; IllegalArgumentException else. */
    static String decodeCursor(String prefix, String cursor) {
        String token = CursorSeal.open("folder-files:" + prefix, cursor).orElseThrow(() -> new IllegalArgumentException("not a cursor"));
        if (token.isEmpty()) {
            throw new IllegalArgumentException("not a cursor");
        }
        return token;
    }

}
