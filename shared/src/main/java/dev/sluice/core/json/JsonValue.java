package dev.sluice.core.json;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An immutable JSON value, for what is open JSON by contract and still held by the core (the agent's part of a
 * session's status data, a background task's result, an event pattern, a webhook's data). The core reads it through
 * typed accessors; adapters and views turn it into the JSON on the wire in one place ({@code adapters.json.Json}).
 */
public sealed interface JsonValue permits JsonValue.Text, JsonValue.Num, JsonValue.Bool, JsonValue.Null, JsonValue.Array, JsonObject {

    record Text(String value) implements JsonValue {
        public Text {
            Objects.requireNonNull(value, "value");
        }
    }

    /** A number as it was given or read (Integer, Long, BigInteger, BigDecimal, Double): it is written back the same way. */
    record Num(java.lang.Number value) implements JsonValue {
        public Num {
            Objects.requireNonNull(value, "value");
            if (!(value instanceof Integer || value instanceof Long || value instanceof BigInteger || value instanceof BigDecimal
                    || value instanceof Double || value instanceof Short || value instanceof Byte || value instanceof Float)) {
                throw new IllegalArgumentException("not a JSON number: " + value.getClass().getName());
            }
        }

        /** Equal when the numbers are: 3 (an Integer) equals 3 (a Long) equals 3.0. */
        @Override
        public boolean equals(Object o) {
            return o instanceof Num n && decimal().compareTo(n.decimal()) == 0;
        }

        @Override
        public int hashCode() {
            return decimal().stripTrailingZeros().hashCode();
        }

        private BigDecimal decimal() {
            return value instanceof BigDecimal d ? d : new BigDecimal(value.toString());
        }
    }

    record Bool(boolean value) implements JsonValue {
    }

    enum Null implements JsonValue {
        NULL
    }

    record Array(List<JsonValue> items) implements JsonValue {
        public Array {
            items = List.copyOf(items);
        }
    }

    /**
     * The JSON value of a plain Java one: a String, Number, Boolean, {@code null}, a collection of such, a map with
     * string keys of such (its order kept), or a JsonValue. Anything else is refused.
     */
    static JsonValue of(Object plain) {
        if (plain == null) {
            return Null.NULL;
        }
        if (plain instanceof JsonValue v) {
            return v;
        }
        if (plain instanceof String s) {
            return new Text(s);
        }
        if (plain instanceof Boolean b) {
            return new Bool(b);
        }
        if (plain instanceof java.lang.Number n) {
            return new Num(n);
        }
        if (plain instanceof Collection<?> c) {
            List<JsonValue> items = new ArrayList<>(c.size());
            c.forEach(i -> items.add(of(i)));
            return new Array(items);
        }
        if (plain instanceof Map<?, ?> m) {
            Map<String, JsonValue> fields = new LinkedHashMap<>();
            m.forEach((k, v) -> {
                if (!(k instanceof String key)) {
                    throw new IllegalArgumentException("a JSON object's keys are strings, not " + k);
                }
                fields.put(key, of(v));
            });
            return new JsonObject(fields);
        }
        throw new IllegalArgumentException("not a JSON value: " + plain.getClass().getName());
    }
}
