package dev.sluice.core.fleet;

/** A subnet the fleet may launch into, and its availability zone. */
public record Subnet(String zone, String subnetId) {
}
