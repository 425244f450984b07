package dev.sluice.core.port;

import dev.sluice.core.session.Session;

/** Applies a placement: the session and every kernel's reservation, in one transaction or not at all. */
public interface PlacementWriter {
    /** DynamoDB's limit on the items of one TransactWriteItems. */
    int MAX_TRANSACTION_ITEMS = 100;

    /**
     * The items of the transaction that places a session of {@code kernels} kernels, and of the one that releases it:
     * the session, one agent item a kernel (its reservation or release), one pointer item a further kernel
     * ({@code DynamoPlacements}, {@code DynamoSessionStore}; a test holds them to this count).
     */
    static int transactionItems(int kernels) {
        return 1 + kernels + (kernels - 1);
    }

    /** The most kernels a session may have so that its placement and its release fit in one transaction (50). */
    int MAX_KERNELS = maxKernels();

    private static int maxKernels() {
        int n = 1;
        while (transactionItems(n + 1) <= MAX_TRANSACTION_ITEMS) {
            n++;
        }
        return n;
    }

    /**
     * Writes {@code scheduled} (already SCHEDULED, with its kernels) if the stored session is still PENDING at
     * {@code expectedSequence}, and reserves each kernel's slots on its agent if the agent is still alive,
     * schedulable and has them free. False when any condition failed: nothing was written.
     */
    boolean place(Session scheduled, long expectedSequence);
}
