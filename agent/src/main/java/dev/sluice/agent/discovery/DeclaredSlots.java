package dev.sluice.agent.discovery;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Slots an operator declares in the agent's config ({@code slots=cuda.device=2,mem=64g}): overrides of what the
 * host reports, or fake devices on a machine without GPUs. Same rules as the control plane's slot parser: the known
 * slot names only, no negatives, whole numbers for devices and bytes, {@code mem} takes binary sizes ({@code 64g}).
 * Values come back as plain decimal strings ({@code mem} in bytes).
 */
public final class DeclaredSlots {

    public static final List<String> KNOWN = List.of("cuda.device", "cuda.shares", "rocm.device", "tpu.device", "cpu", "mem");
    private static final List<String> WHOLE = List.of("cuda.device", "rocm.device", "tpu.device", "mem");
    private static final String SIZE_SUFFIXES = "kmgtp";

    private DeclaredSlots() {
    }

    /** {@code "cuda.device=2, mem=64g"} → {@code {cuda.device=2, mem=68719476736}}; blank → empty. */
    public static Map<String, String> parse(String text) {
        Map<String, String> slots = new LinkedHashMap<>();
        if (text == null || text.isBlank()) {
            return slots;
        }
        for (String entry : text.split(",")) {
            String item = entry.trim();
            int eq = item.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("slots: '" + item + "' is not name=amount (e.g. cuda.device=2,mem=64g)");
            }
            String name = item.substring(0, eq).trim();
            if (slots.containsKey(name)) {
                throw new IllegalArgumentException("slots: '" + name + "' is declared twice");
            }
            slots.put(name, amount(name, item.substring(eq + 1).trim()));
        }
        return slots;
    }

    /** Checks and normalises one declared amount; the message names the slot and the rule. */
    public static String amount(String name, String value) {
        if (!KNOWN.contains(name)) {
            throw new IllegalArgumentException("slots: unknown slot '" + name + "'; known slots are " + KNOWN);
        }
        String text = value.toLowerCase(Locale.ROOT);
        BigDecimal amount;
        try {
            if (name.equals("mem") && !text.isEmpty() && SIZE_SUFFIXES.indexOf(text.charAt(text.length() - 1)) >= 0) {
                int power = SIZE_SUFFIXES.indexOf(text.charAt(text.length() - 1)) + 1;
                amount = new BigDecimal(text.substring(0, text.length() - 1))
                        .multiply(BigDecimal.valueOf(1024).pow(power)).setScale(0, RoundingMode.FLOOR);
            } else {
                amount = new BigDecimal(text);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("slots: " + name + " must be a number"
                    + (name.equals("mem") ? " or a size such as 64g" : "") + ", got '" + value + "'");
        }
        if (amount.signum() < 0) {
            throw new IllegalArgumentException("slots: " + name + " must not be negative, got '" + value + "'");
        }
        if (WHOLE.contains(name) && amount.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException("slots: " + name + " must be a whole number, got '" + value + "'");
        }
        if (amount.stripTrailingZeros().scale() > 6) {
            throw new IllegalArgumentException("slots: " + name + " must have at most 6 decimal places, got '" + value + "'");
        }
        return amount.signum() == 0 ? "0" : amount.stripTrailingZeros().toPlainString();
    }
}
