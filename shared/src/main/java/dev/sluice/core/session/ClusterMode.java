package dev.sluice.core.session;

import java.util.Locale;
import java.util.Optional;

/** Whether the kernels of a multi-kernel session share one agent or spread over several. */
public enum ClusterMode {
    SINGLE_NODE, MULTI_NODE;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Optional<ClusterMode> fromWire(String value) {
        for (ClusterMode m : values()) {
            if (m.wireName().equals(value)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }
}
