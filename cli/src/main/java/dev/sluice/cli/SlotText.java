package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;

/** Resource slots on one line: {@code cpu=2 mem=8G cuda.device=1} (memory arrives in bytes). */
final class SlotText {
    private static final List<String> ORDER = List.of("cpu", "mem", "cuda.device", "cuda.shares", "rocm.device", "tpu.device");
    private static final String UNITS = "KMGTP";
    private static final BigDecimal KIB = BigDecimal.valueOf(1024);

    private SlotText() {
    }

    static String format(JsonNode slots) {
        if (slots == null || !slots.isObject() || slots.isEmpty()) {
            return "-";
        }
        Map<String, String> sorted = new TreeMap<>(Comparator.comparingInt(SlotText::rank).thenComparing(Comparator.naturalOrder()));
        slots.properties().forEach(e -> sorted.put(e.getKey(), e.getValue().asText()));
        StringJoiner line = new StringJoiner(" ");
        sorted.forEach((slot, amount) -> line.add(slot + "=" + (slot.equals("mem") ? bytes(amount) : decimal(amount))));
        return line.toString();
    }

    /** {@code 8589934592} → {@code 8G}; {@code 1610612736} → {@code 1.5G}; under 1 KiB the number itself. */
    static String bytes(String amount) {
        BigDecimal value;
        try {
            value = new BigDecimal(amount.trim());
        } catch (NumberFormatException notANumber) {
            return amount;
        }
        int unit = -1;
        while (unit < UNITS.length() - 1 && value.compareTo(KIB) >= 0) {
            value = value.divide(KIB);
            unit++;
        }
        String number = value.setScale(1, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString();
        return unit < 0 ? number : number + UNITS.charAt(unit);
    }

    private static String decimal(String amount) {
        try {
            return new BigDecimal(amount.trim()).stripTrailingZeros().toPlainString();
        } catch (NumberFormatException notANumber) {
            return amount;
        }
    }

    private static int rank(String slot) {
        int i = ORDER.indexOf(slot);
        return i < 0 ? ORDER.size() : i;
    }
}
