package dev.sluice.agent.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;

/** What a value weighs as JSON on the wire: the agent API refuses request bodies over 64 KiB. */
public final class Wire {
    /** A request body (a heartbeat, a logs upload) stays within this, with room left for what surrounds it. */
    public static final int MAX_BODY_BYTES = 64 * 1024 - 256;
    private static final ObjectMapper JSON = new ObjectMapper();

    private Wire() {
    }

    /** The value's size in bytes, encoded. */
    public static int size(Object value) {
        try {
            return JSON.writeValueAsBytes(value).length;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The size of a logs upload's body, {@code {"text": ...}}. */
    public static int uploadSize(String text) {
        return size(Map.of("text", text));
    }

    /** As a JSON string (for log lines). */
    public static String quoted(String text) {
        return JSON.valueToTree(text).toString();
    }
}
