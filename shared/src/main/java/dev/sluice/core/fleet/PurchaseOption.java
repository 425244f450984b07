package dev.sluice.core.fleet;

import java.util.Optional;

/** How an instance is bought: spot (cheaper, may be interrupted) or on-demand. */
public enum PurchaseOption {
    SPOT("spot"),
    ON_DEMAND("on-demand");

    private final String wireName;

    PurchaseOption(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static Optional<PurchaseOption> fromWire(String s) {
        for (PurchaseOption p : values()) {
            if (p.wireName.equals(s)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
