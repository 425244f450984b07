package dev.sluice.adapters.dynamodb;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The size of an item as DynamoDB counts it against its limits, rounded up: each attribute's name and value (a string
 * by its UTF-8 bytes, a number at most 21 bytes, a map or list 3 bytes plus its elements and 1 byte each).
 */
final class ItemSizes {
    private ItemSizes() {
    }

    static long of(Map<String, AttributeValue> item) {
        long bytes = 0;
        for (Map.Entry<String, AttributeValue> e : item.entrySet()) {
            bytes += utf8(e.getKey()) + of(e.getValue());
        }
        return bytes;
    }

    private static long of(AttributeValue v) {
        if (v.s() != null) {
            return utf8(v.s());
        }
        if (v.n() != null) {
            return 21;
        }
        if (v.b() != null) {
            return v.b().asByteArray().length;
        }
        if (v.bool() != null || Boolean.TRUE.equals(v.nul())) {
            return 1;
        }
        if (v.hasM()) {
            long bytes = 3;
            for (Map.Entry<String, AttributeValue> e : v.m().entrySet()) {
                bytes += 1 + utf8(e.getKey()) + of(e.getValue());
            }
            return bytes;
        }
        if (v.hasL()) {
            long bytes = 3;
            for (AttributeValue e : v.l()) {
                bytes += 1 + of(e);
            }
            return bytes;
        }
        if (v.hasSs()) {
            return v.ss().stream().mapToLong(ItemSizes::utf8).sum();
        }
        if (v.hasNs()) {
            return 21L * v.ns().size();
        }
        if (v.hasBs()) {
            return v.bs().stream().mapToLong(b -> b.asByteArray().length).sum();
        }
        return 1;
    }

    private static long utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
