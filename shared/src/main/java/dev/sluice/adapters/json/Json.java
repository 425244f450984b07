package dev.sluice.adapters.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.UncheckedIOException;
import dev.sluice.core.json.JsonObject;
import dev.sluice.core.json.JsonValue;
import java.util.Map;

/** The one JSON configuration of Sluice: ISO-8601 times, no unknown-property surprises, bounded nesting. */
public final class Json {
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).build());
    }

    private Json() {
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads a JSON object; throws {@link JsonProcessingException} for anything else. */
    public static Map<String, Object> readObject(String text) throws JsonProcessingException {
        Object value = MAPPER.readValue(text, Object.class);
        if (!(value instanceof Map<?, ?>)) {
            throw new com.fasterxml.jackson.core.JsonParseException(null, "the body must be a JSON object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> object = (Map<String, Object>) value;
        return object;
    }

    /**
     * The plain Java form of a core JSON value, as Jackson reads and writes JSON (String, Number, Boolean, null, List,
     * an ordered Map): the one place where the core's open JSON becomes the object on the wire or in storage.
     */
    public static Object plain(JsonValue value) {
        if (value instanceof JsonValue.Text t) {
            return t.value();
        } else if (value instanceof JsonValue.Num n) {
            return n.value();
        } else if (value instanceof JsonValue.Bool b) {
            return b.value();
        } else if (value instanceof JsonValue.Array a) {
            java.util.List<Object> items = new java.util.ArrayList<>(a.items().size());
            a.items().forEach(i -> items.add(plain(i)));
            return items;
        } else if (value instanceof JsonObject o) {
            return plain(o);
        }
        return null; // JsonValue.Null

    }

    /** {@link #plain(JsonValue)} of an object: an ordered map. */
    public static Map<String, Object> plain(JsonObject object) {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        object.fields().forEach((k, v) -> out.put(k, plain(v)));
        return out;
    }

    /** The core value of a decoded JSON object (the inverse of {@link #plain(JsonObject)}). */
    public static JsonObject object(Map<String, ?> plain) {
        return (JsonObject) JsonValue.of(plain);
    }

    /** {@link #readObjectUnchecked} as a core value. */
    public static JsonObject readJsonObject(String text) {
        return object(readObjectUnchecked(text));
    }

    public static Map<String, Object> readObjectUnchecked(String text) {
        try {
            return readObject(text);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
