package dev.sluice.core.session;

import dev.sluice.core.slots.ResourceSlots;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * Several {@link SessionChange}s written as one conditional write, all of them or none ({@code SessionStore.applyAll}):
 * each session must still be in its change's expected status at its expected sequence, and the reservations (or
 * releases) the changes make on one agent are one operation on that agent, for the sum of their slots, under their
 * common condition (DynamoDB refuses two operations on one item in a transaction; and an agent that has the sum free
 * has each part free). Each change was checked against the transition map when it was made; a batch adds no rule of
 * its own but that its sessions are distinct and the operations it merges on an agent agree.
 */
public record SessionBatch(List<SessionChange> changes) {
    /** DynamoDB's limit on the aggregate size of the items of one TransactWriteItems (4 MB). */
    public static final long MAX_TRANSACTION_BYTES = 4L * 1024 * 1024;

    public SessionBatch {
        changes = List.copyOf(changes);
        if (changes.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one change");
        }
        Set<String> ids = new HashSet<>();
        for (SessionChange c : changes) {
            if (!ids.add(c.next().id())) {
                throw new IllegalArgumentException("a batch changes each session once; " + c.next().id() + " appears twice");
            }
        }
        merged(changes);
    }

    /**
     * One operation per agent: the slots of every kernel the changes reserve (or release) on it, summed, under their
     * condition. Throws when two changes would do different things to one agent (a reservation and a release, or
     * under different conditions): such changes are not batched together.
     */
    public List<SessionChange.AgentSlots> agentSlots() {
        return merged(changes);
    }

    private static List<SessionChange.AgentSlots> merged(List<SessionChange> changes) {
        Map<String, SessionChange.AgentSlots> byAgent = new LinkedHashMap<>();
        for (SessionChange c : changes) {
            for (SessionChange.AgentSlots a : c.agentSlots()) {
                String agent = a.kernel().agentId();
                SessionChange.AgentSlots before = byAgent.get(agent);
                if (before == null) {
                    byAgent.put(agent, new SessionChange.AgentSlots(new Kernel(agent, a.kernel().slots()), a.reserve(), a.condition()));
                    continue;
                }
                if (before.reserve() != a.reserve() || !before.condition().equals(a.condition())) {
                    throw new IllegalArgumentException("a batch does one thing to agent " + agent
                            + ": its changes must all reserve or all release slots on it, under the same condition");
                }
                ResourceSlots sum = before.kernel().slots().add(a.kernel().slots());
                byAgent.put(agent, new SessionChange.AgentSlots(new Kernel(agent, sum), a.reserve(), a.condition()));
            }
        }
        return new ArrayList<>(byAgent.values());
    }

    /**
     * The items the store writes for this batch: each session, one a pointer, one a kept output, and one per agent
     * (however many of the batch's kernels are on it).
     */
    public int items() {
        return items(changes);
    }

    private static int items(List<SessionChange> changes) {
        int items = 0;
        Set<String> agents = new HashSet<>();
        for (SessionChange c : changes) {
            items += c.items() - c.agentSlots().size();
            c.agentSlots().forEach(a -> agents.add(a.kernel().agentId()));
        }
        return items + agents.size();
    }

    /**
     * {@code changes} split, in their order, into consecutive batches that each fit one transaction: at most
     * {@code maxItems} items (an agent shared by several changes counted once) and at most {@code maxBytes} by
     * {@code bytes} (what the store says one change writes). Changes that would do different things to one agent
     * start a new batch. A change that alone exceeds a limit is a batch of its own (the store refuses it as it would
     * refuse it alone).
     */
    public static List<List<SessionChange>> chunks(List<SessionChange> changes, int maxItems, long maxBytes,
                                                   ToLongFunction<SessionChange> bytes) {
        Objects.requireNonNull(bytes, "bytes");
        List<List<SessionChange>> chunks = new ArrayList<>();
        List<SessionChange> current = new ArrayList<>();
        long currentBytes = 0;
        for (SessionChange c : changes) {
            long size = bytes.applyAsLong(c);
            if (!current.isEmpty()) {
                List<SessionChange> with = new ArrayList<>(current);
                with.add(c);
                if (items(with) > maxItems || currentBytes + size > maxBytes || !agrees(with)) {
                    chunks.add(current);
                    current = new ArrayList<>();
                    currentBytes = 0;
                }
            }
            current.add(c);
            currentBytes += size;
        }
        if (!current.isEmpty()) {
            chunks.add(current);
        }
        return chunks;
    }

    private static boolean agrees(List<SessionChange> changes) {
        try {
            new SessionBatch(changes);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
