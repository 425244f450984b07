package dev.sluice.core.usecase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.error.DomainException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Cursors round-trip for any content and open only for the listing that gave them (issue #14 items 4 and 6). */
class CursorSealTest {

    @Test
    void aCursorOfAnyLengthRoundTripsForItsListing() {
        // Up to a token of 2,900 characters (an S3 continuation token of the longest key, 1,024 bytes, is well under
        // that) the sealed cursor stays within MAX_CURSOR; non-ASCII content round-trips too.
        for (String token : List.of("t", "x".repeat(1025), "é/ü".repeat(300), "T".repeat(2900))) {
            String cursor = CursorSeal.seal("folder-files:folders/f-1/", token);
            assertThat(cursor.length()).isLessThanOrEqualTo(CursorSeal.MAX_CURSOR);
            assertThat(CursorSeal.open("folder-files:folders/f-1/", cursor)).contains(token);
            assertThat(CursorSeal.open("folder-files:folders/f-2/", cursor)).as("another folder's listing").isEmpty();
        }
        String longToken = "k".repeat(2000);
        assertThat(FileCursor.decodeCursor("folders/f-1/", FileCursor.encodeCursor("folders/f-1/", longToken))).isEqualTo(longToken);
        assertThatThrownBy(() -> FileCursor.decodeCursor("folders/f-2/", FileCursor.encodeCursor("folders/f-1/", longToken)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void alteredOrMadeUpCursorsDoNotOpen() {
        String cursor = CursorSeal.seal("sessions", "{\"p\":\"alice\"}");
        String content = cursor.substring(0, cursor.indexOf('.'));
        String mac = cursor.substring(cursor.indexOf('.') + 1);
        for (String bad : List.of("", "bm9wZQ", "bm9wZQ.", "." + mac, content + "." + mac + "." + mac, content + "!." + mac,
                "e30." + mac, content + "." + mac.substring(1), content + "." + (mac.charAt(0) == 'A' ? 'B' : 'A') + mac.substring(1),
                "x".repeat(CursorSeal.MAX_CURSOR + 1))) {
            assertThat(CursorSeal.open("sessions", bad)).as(bad).isEmpty();
        }
    }

    @Test
    void aCursorSealedUnderOneKeyIsRefusedUnderAnother() {
        byte[] one = CursorSeal.key(Map.of("SLUICE_CURSOR_KEY", "the stack's secret"));
        byte[] other = CursorSeal.key(Map.of("SLUICE_CURSOR_KEY", "another stack's secret"));
        String cursor = CursorSeal.seal(one, "sessions", "{\"p\":\"alice\"}");
        assertThat(CursorSeal.open(one, "sessions", cursor)).contains("{\"p\":\"alice\"}");
        assertThat(CursorSeal.open(other, "sessions", cursor)).isEmpty();
        byte[] derived = CursorSeal.key(Map.of("SESSIONS_TABLE", "sluice-Sessions", "FOLDERS_TABLE", "sluice-Folders"));
        assertThat(CursorSeal.open(derived, "sessions", cursor)).as("the key derived from table names does not open it").isEmpty();
    }

    @Test
    void theKeyIsTheDeploymentsWhenItSetsOneAndTheSameInEveryContainerOtherwise() {
        assertThat(CursorSeal.key(Map.of("SLUICE_CURSOR_KEY", "s3cret"))).isEqualTo(CursorSeal.key(Map.of("SLUICE_CURSOR_KEY", "s3cret")))
                .isNotEqualTo(CursorSeal.key(Map.of("SLUICE_CURSOR_KEY", "other")));
        Map<String, String> deployment = Map.of("SESSIONS_TABLE", "stack-Sessions-1", "FOLDERS_TABLE", "stack-Folders-1");
        assertThat(CursorSeal.key(deployment)).isEqualTo(CursorSeal.key(Map.copyOf(deployment)))
                .isNotEqualTo(CursorSeal.key(Map.of("SESSIONS_TABLE", "other-Sessions-1", "FOLDERS_TABLE", "other-Folders-1")));
    }

    @Test
    void pathsAreLimitedInBytesWithThePrefixAndPerSegment() {
        String prefix = "folders/f-0123456789/";
        int room = FilePaths.MAX_KEY_BYTES - prefix.length();
        assertThat(FilePaths.objectKey(prefix, "a".repeat(room), "path")).hasSize(FilePaths.MAX_KEY_BYTES);
        assertThatThrownBy(() -> FilePaths.objectKey(prefix, "a".repeat(room + 1), "path"))
                .isInstanceOf(DomainException.class)
                .hasMessage("path must be at most " + room + " bytes in UTF-8 in this folder (S3 keys are at most 1024 bytes with the folder's "
                        + prefix.length() + "-byte prefix; it is " + (room + 1) + ").");
        // 'é' is two bytes: 600 characters are 1,200 bytes.
        assertThatThrownBy(() -> FilePaths.objectPath(("é".repeat(100) + "/").repeat(6) + "a", "path")).isInstanceOf(DomainException.class)
                .hasMessageContaining("at most 1024 bytes in UTF-8");
        assertThat(FilePaths.objectPath("é".repeat(127) + "a", "path")).hasSize(128);
        assertThatThrownBy(() -> FilePaths.objectPath("d/" + "é".repeat(128), "path")).isInstanceOf(DomainException.class)
                .hasMessage("path must not have a segment (a file or directory name) over 255 bytes in UTF-8; one has 256.");
    }
}
