package dev.sluice.adapters.ec2;

import java.util.Set;

/**
 * What the fleet driver does after a candidate failed with an EC2 error code: try the next candidate (the error is
 * about that type, zone, subnet, purchase option or price, so another may launch) or stop (the error would recur for
 * every candidate: credentials, permissions, the launch template, the request itself, throttling). Pure; the lists are
 * EC2's documented codes (API Reference, "Error codes") as an instant EC2 Fleet reports them, per pool in its
 * {@code errorSet} or as the error of the whole call.
 */
public final class LaunchErrors {
    private LaunchErrors() {
    }

    /** The decision after a failed candidate. */
    public enum Next {
        /** Another candidate may launch: try it. */
        TRY_NEXT,
        /** No candidate would launch: give up at once. */
        STOP
    }

    /** The driver's own code for an answer of neither instances nor errors (e.g. an on-demand price over a cap). */
    public static final String NOTHING_LAUNCHED = "NothingLaunched";
    /** The driver's own code for a call that got no answer in time (the instance may exist: see the driver). */
    public static final String TIMEOUT = "Timeout";
    /** The driver's own code for a call that failed before any answer (connection refused, reset). */
    public static final String NO_ANSWER = "NoAnswer";

    /** Codes about the candidate's pool (type x zone x purchase option) or its price: another pool may have room. */
    static final Set<String> CANDIDATE_CODES = Set.of(
            "InsufficientInstanceCapacity",       // no capacity of this type in this zone, now
            "InsufficientCapacity",               // the same, as some launch paths name it
            "InsufficientHostCapacity",
            "InsufficientReservedInstanceCapacity",
            "InsufficientFreeAddressesInSubnet",  // the subnet is full: another subnet/zone may not be
            "SpotMaxPriceTooLow",                 // the spot price is over the candidate's cap
            "MaxSpotInstanceCountExceeded",       // the spot quota: on-demand may still launch
            "InstanceLimitExceeded",              // an on-demand quota of this family
            "VcpuLimitExceeded",                  // the vCPU quota of this family and purchase option
            "Unsupported",                        // this type is not offered in this zone
            "UnfulfillableCapacity",
            "InvalidSubnetID.NotFound",           // the catalog's subnet of this zone is gone; other zones may work
            "InternalError",                      // transient on EC2's side (the SDK has already retried once)
            "InternalFailure",
            "ServiceUnavailable",
            "Unavailable",
            NOTHING_LAUNCHED,
            TIMEOUT,
            NO_ANSWER);

    public static Next after(String code) {
        if (code == null) {
            return Next.STOP;
        }
        // EC2 prefixes some server-side codes ("Server.InsufficientInstanceCapacity").
        String bare = code.startsWith("Server.") ? code.substring("Server.".length()) : code;
        return CANDIDATE_CODES.contains(bare) ? Next.TRY_NEXT : Next.STOP;
    }

    /**
     * Whether the SDK should retry the same call once: throttling and EC2's transient server errors, never a capacity
     * or price error (the driver moves to the next candidate instead, which is the faster way to an instance).
     */
    public static boolean sdkShouldRetry(String code, int httpStatus) {
        if (code != null) {
            String bare = code.startsWith("Server.") ? code.substring("Server.".length()) : code;
            if (bare.equals("RequestLimitExceeded") || bare.equals("Throttling") || bare.equals("ThrottlingException")) {
                return true;
            }
            if (bare.startsWith("Insufficient") || bare.equals("SpotMaxPriceTooLow") || bare.equals("Unsupported")
                    || bare.equals("MaxSpotInstanceCountExceeded") || bare.equals("UnfulfillableCapacity")) {
                return false;
            }
        }
        return httpStatus >= 500;
    }
}
