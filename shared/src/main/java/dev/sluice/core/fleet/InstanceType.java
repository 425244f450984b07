package dev.sluice.core.fleet;

import dev.sluice.core.slots.ResourceSlots;
import java.util.List;
import java.util.Optional;

/**
 * One EC2 instance type a group may launch: the slots an agent on it declares, how it may be bought, its hourly
 * prices in micro-dollars (configured by the admin from a documented source, never fetched), at most how many of it
 * may run, and the zones it may use (empty: every zone of the catalog).
 */
public record InstanceType(
        String name,
        Optional<String> accelerator,
        ResourceSlots slots,
        List<PurchaseOption> purchaseOptions,
        Optional<Long> onDemandMicroUsd,
        Optional<Long> spotMicroUsd,
        int maxInstances,
        List<String> zones) {

    public InstanceType {
        purchaseOptions = List.copyOf(purchaseOptions);
        zones = List.copyOf(zones);
        if (purchaseOptions.isEmpty()) {
            throw new IllegalArgumentException("purchase options must not be empty");
        }
        if (purchaseOptions.contains(PurchaseOption.SPOT) && spotMicroUsd.isEmpty()) {
            throw new IllegalArgumentException("a spot type needs a spot price");
        }
        if (purchaseOptions.contains(PurchaseOption.ON_DEMAND) && onDemandMicroUsd.isEmpty()) {
            throw new IllegalArgumentException("an on-demand type needs an on-demand price");
        }
    }

    /** Spot first where allowed: spot unless it is not allowed or configured dearer than on-demand. */
    public PurchaseOption preferredOption() {
        if (!purchaseOptions.contains(PurchaseOption.SPOT)) {
            return PurchaseOption.ON_DEMAND;
        }
        if (purchaseOptions.contains(PurchaseOption.ON_DEMAND) && onDemandMicroUsd.get() < spotMicroUsd.get()) {
            return PurchaseOption.ON_DEMAND;
        }
        return PurchaseOption.SPOT;
    }

    /** The hourly price of buying it the {@link #preferredOption() preferred} way, in micro-dollars. */
    public long preferredMicroUsd() {
        return priceOf(preferredOption());
    }

    public long priceOf(PurchaseOption option) {
        return (option == PurchaseOption.SPOT ? spotMicroUsd : onDemandMicroUsd)
                .orElseThrow(() -> new IllegalArgumentException(name + " is not bought " + option.wireName()));
    }
}
