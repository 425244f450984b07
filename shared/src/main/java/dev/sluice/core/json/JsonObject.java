package dev.sluice.core.json;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** An immutable JSON object, its fields in the order they were put (see {@link JsonValue}). */
public final class JsonObject implements JsonValue {
    public static final JsonObject EMPTY = new JsonObject(Map.of());

    private final Map<String, JsonValue> fields;

    JsonObject(Map<String, JsonValue> fields) {
        Map<String, JsonValue> copy = new LinkedHashMap<>();
        fields.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "key"), Objects.requireNonNull(v, "value")));
        this.fields = Collections.unmodifiableMap(copy);
    }

    /** One field. */
    public static JsonObject of(String key, Object value) {
        return builder().put(key, value).build();
    }

    /** Two fields, in this order. */
    public static JsonObject of(String k1, Object v1, String k2, Object v2) {
        return builder().put(k1, v1).put(k2, v2).build();
    }

    public static Builder builder() {
        return new Builder(new LinkedHashMap<>());
    }

    /** A builder that starts with this object's fields. */
    public Builder toBuilder() {
        return new Builder(new LinkedHashMap<>(fields));
    }

    /** The fields, unmodifiable, in order. */
    public Map<String, JsonValue> fields() {
        return fields;
    }

    public boolean isEmpty() {
        return fields.isEmpty();
    }

    public boolean has(String key) {
        return fields.containsKey(key);
    }

    public Optional<JsonValue> get(String key) {
        return Optional.ofNullable(fields.get(key));
    }

    /** The field as a string; empty when it is missing or not a string. */
    public Optional<String> text(String key) {
        return fields.get(key) instanceof Text t ? Optional.of(t.value()) : Optional.empty();
    }

    /** The field as a whole number that fits a long; empty when it is missing, not a number or not whole. */
    public Optional<Long> integer(String key) {
        if (!(fields.get(key) instanceof Num n)) {
            return Optional.empty();
        }
        java.lang.Number v = n.value();
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            return Optional.of(v.longValue());
        }
        try {
            BigDecimal d = v instanceof BigDecimal b ? b : v instanceof BigInteger i ? new BigDecimal(i) : new BigDecimal(v.toString());
            return Optional.of(d.longValueExact());
        } catch (ArithmeticException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The field as a boolean; empty when it is missing or not a boolean. */
    public Optional<Boolean> bool(String key) {
        return fields.get(key) instanceof Bool b ? Optional.of(b.value()) : Optional.empty();
    }

    /** This object with {@code other}'s fields added where this one has none of that name. */
    public JsonObject withDefaults(JsonObject other) {
        Builder b = toBuilder();
        other.fields.forEach(b.fields::putIfAbsent);
        return b.build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JsonObject other && fields.equals(other.fields);
    }

    @Override
    public int hashCode() {
        return fields.hashCode();
    }

    @Override
    public String toString() {
        return fields.toString();
    }

    /** Puts fields in order; a later put of the same key replaces the value in its place. */
    public static final class Builder {
        private final Map<String, JsonValue> fields;

        private Builder(Map<String, JsonValue> fields) {
            this.fields = fields;
        }

        /** Puts {@code value}, a plain Java value or a JsonValue (see {@link JsonValue#of}). */
        public Builder put(String key, Object value) {
            fields.put(Objects.requireNonNull(key, "key"), JsonValue.of(value));
            return this;
        }

        public JsonObject build() {
            return new JsonObject(fields);
        }
    }
}
