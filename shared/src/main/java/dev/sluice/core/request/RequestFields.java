package dev.sluice.core.request;

import dev.sluice.core.error.DomainException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Typed reads from a decoded JSON object, each failure naming the field (with its path) and the rule.
 * Unknown fields are refused so a typo never silently falls back to a default.
 */
public final class RequestFields {
    private final String prefix;
    private final Map<String, Object> values;

    private RequestFields(String prefix, Map<String, Object> values) {
        this.prefix = prefix;
        this.values = values;
    }

    public static RequestFields of(Map<String, Object> values) {
        return new RequestFields("", values);
    }

    /** The same values, read as the object in {@code field} of a request: errors name {@code field.<name>}. */
    public RequestFields at(String field) {
        return new RequestFields(path(field), values);
    }

    public String path(String field) {
        return prefix.isEmpty() ? field : prefix + "." + field;
    }

    public boolean has(String field) {
        return values.containsKey(field) && values.get(field) != null;
    }

    public void refuseUnknown(Set<String> known) {
        for (String key : values.keySet()) {
            if (!known.contains(key)) {
                throw DomainException.invalid(path(key), "is not a known field; the known fields are " + known.stream().sorted().toList());
            }
        }
    }

    /**
     * {@link #refuseUnknown} and, for the bodies of the user API (whose document declares no field nullable), an
     * explicit {@code null}: it is refused rather than read as absent, so that {@code "host": null} is not silently the
     * default host.
     */
    public void refuseUnknownOrNull(Set<String> known) {
        refuseUnknown(known);
        for (Map.Entry<String, Object> e : values.entrySet()) {
            if (e.getValue() == null) {
                throw DomainException.invalid(path(e.getKey()), "must not be null; leave the field out to keep its default");
            }
        }
    }

    public String requireString(String field) {
        return optionalString(field).orElseThrow(() -> DomainException.invalid(path(field), "is required"));
    }

    public Optional<String> optionalString(String field) {
        Object v = values.get(field);
        if (v == null) {
            return Optional.empty();
        }
        if (!(v instanceof String s)) {
            throw DomainException.invalid(path(field), "must be a string");
        }
        return Optional.of(s);
    }

    public Optional<Boolean> optionalBoolean(String field) {
        Object v = values.get(field);
        if (v == null) {
            return Optional.empty();
        }
        if (!(v instanceof Boolean b)) {
            throw DomainException.invalid(path(field), "must be true or false");
        }
        return Optional.of(b);
    }

    public Optional<Integer> optionalInt(String field, int min, int max) {
        Object v = values.get(field);
        if (v == null) {
            return Optional.empty();
        }
        if (!(v instanceof Integer || v instanceof Long || v instanceof java.math.BigInteger)) {
            throw DomainException.invalid(path(field), "must be a whole number");
        }
        long n;
        try {
            n = ((Number) v).longValue();
            if (v instanceof java.math.BigInteger big && big.bitLength() > 62) {
                throw DomainException.invalid(path(field), "must be between " + min + " and " + max);
            }
        } catch (ArithmeticException e) {
            throw DomainException.invalid(path(field), "must be between " + min + " and " + max);
        }
        if (n < min || n > max) {
            throw DomainException.invalid(path(field), "must be between " + min + " and " + max);
        }
        return Optional.of((int) n);
    }

    /** A value that may be given as a number of seconds or as duration text; returned as text. */
    public Optional<String> optionalDurationText(String field) {
        Object v = values.get(field);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof Integer || v instanceof Long) {
            return Optional.of(v.toString());
        }
        if (v instanceof String s) {
            return Optional.of(s);
        }
        throw DomainException.invalid(path(field), "must be a duration such as 0, 600, 90s, 30m or 2h");
    }

    public Optional<List<String>> optionalStringList(String field) {
        Object v = values.get(field);
        if (v == null) {
            return Optional.empty();
        }
        if (!(v instanceof List<?> list)) {
            throw DomainException.invalid(path(field), "must be a list of strings");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof String s)) {
                throw DomainException.invalid(path(field) + "[" + i + "]", "must be a string");
            }
            out.add(s);
        }
        return Optional.of(out);
    }

    @SuppressWarnings("unchecked")
    public Optional<RequestFields> optionalObject(String field) {
        Object v = values.get(field);
        if (v == null) {
            return Optional.empty();
        }
        if (!(v instanceof Map<?, ?> map)) {
            throw DomainException.invalid(path(field), "must be an object");
        }
        return Optional.of(new RequestFields(path(field), (Map<String, Object>) map));
    }

    public Optional<Map<String, String>> optionalStringMap(String field) {
        return optionalObject(field).map(obj -> {
            Map<String, String> out = new LinkedHashMap<>();
            obj.values.forEach((k, val) -> {
                if (!(val instanceof String s)) {
                    throw DomainException.invalid(obj.path(k), "must be a string");
                }
                out.put(k, s);
            });
            return out;
        });
    }

    public Map<String, Object> raw() {
        return values;
    }
}
