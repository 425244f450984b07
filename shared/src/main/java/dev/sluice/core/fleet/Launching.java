package dev.sluice.core.fleet;

import dev.sluice.core.slots.ResourceSlots;
import java.time.Instant;

/** An instance requested but whose agent has not joined yet: its slots are capacity on the way. */
public record Launching(String instanceId, String instanceType, PurchaseOption option, String zone, ResourceSlots slots, Instant requestedAt) {
}
