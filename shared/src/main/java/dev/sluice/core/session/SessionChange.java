package dev.sluice.core.session;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One change of a stored session, computed by the core and written by the store in one conditional write
 * ({@code SessionStore.apply}): the session must still be in {@code expectedStatus} at {@code expectedSequence}; it
 * becomes {@code next}; each {@link AgentSlots} reserves or gives back a kernel's slots on its agent under its
 * {@link AgentCondition}; each {@link Pointer} is written or deleted. Either all of it holds or nothing is written.
 *
 * <p>The transition map is checked here, once, for every change; and here, once, is the rule of when a change gives
 * slots back: when the session leaves the statuses that occupy slots with kernels still reserved (or when the caller
 * asks for it, for a session whose agent is gone).
 *
 * <p>One change may carry several steps that arrived together ({@link #steps}: an agent's PREPARING, RUNNING and
 * TERMINATED in one heartbeat): {@code through} names the statuses the session passes between {@code expectedStatus}
 * and {@code next}, each pair checked against the map, and only the last step may give slots back. With
 * {@code output} (a session's last output when it is small, {@link #MAX_STORED_OUTPUT_BYTES}) the store keeps it in
 * the same write.
 */
public record SessionChange(
        SessionStatus expectedStatus,
        long expectedSequence,
        Session next,
        List<AgentSlots> agentSlots,
        List<Pointer> pointers,
        List<SessionStatus> through,
        Optional<String> output) {

    /** DynamoDB's limit on the items of one TransactWriteItems. */
    public static final int MAX_TRANSACTION_ITEMS = 100;

    /**
     * The items of the write that places a session of {@code kernels} kernels, and of the one that releases it: the
     * session, one agent item a kernel (its reservation or release), one pointer item a further kernel (a test holds
     * the store's translation to this count).
     */
    public static int transactionItems(int kernels) {
        return 1 + kernels + (kernels - 1);
    }

    /** The most kernels a session may have so that its placement and its release fit in one transaction (50). */
    public static final int MAX_KERNELS = maxKernels();

    private static int maxKernels() {
        int n = 1;
        while (transactionItems(n + 1) <= MAX_TRANSACTION_ITEMS) {
            n++;
        }
        return n;
    }

    /**
     * The most bytes (UTF-8) of a session's last output that a change keeps in the store with the session's write: its
     * item, key included, stays within 1 KiB as DynamoDB counts it (one write unit; a larger output goes to the logs
     * bucket, one PUT).
     */
    public static final int MAX_STORED_OUTPUT_BYTES = 900;

    /** A change of one step (or none: a release in place). */
    public SessionChange(SessionStatus expectedStatus, long expectedSequence, Session next, List<AgentSlots> agentSlots,
                         List<Pointer> pointers) {
        this(expectedStatus, expectedSequence, next, agentSlots, pointers, List.of(), Optional.empty());
    }

    public SessionChange {
        Objects.requireNonNull(expectedStatus, "expectedStatus");
        Objects.requireNonNull(next, "next");
        agentSlots = List.copyOf(agentSlots);
        pointers = List.copyOf(pointers);
        through = List.copyOf(through);
        Objects.requireNonNull(output, "output");
        SessionStatus from = expectedStatus;
        for (SessionStatus step : through) {
            if (step == from || !SessionTransitions.isAllowed(from, step)) {
                throw new IllegalTransitionException(next.id(), from, step);
            }
            from = step;
        }
        if (next.status() != from && !SessionTransitions.isAllowed(from, next.status())) {
            throw new IllegalTransitionException(next.id(), from, next.status());
        }
        if (SessionTransitions.isRequeue(from, next.status())
                && (next.attempts().isEmpty() || !next.attempts().get(next.attempts().size() - 1).retried() || !next.kernels().isEmpty())) {
            // The retry re-queue, and only it, goes back to PENDING: with the ended attempt recorded and no kernel kept.
            throw new IllegalTransitionException(next.id(), from, next.status());
        }
        if (output.isPresent() && output.get().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_STORED_OUTPUT_BYTES) {
            throw new IllegalArgumentException("an output kept with the session's write is at most " + MAX_STORED_OUTPUT_BYTES + " bytes");
        }
    }

    /**
     * The steps that arrived together written as one change: {@code stored} (as read) became each of {@code steps} in
     * turn (each the previous one after one {@link Session#transitionTo}), the last being what is stored. Each step is
     * checked against the transition map; only the last may leave the statuses that occupy slots (its slots go back in
     * the same write, as {@link #update} decides), or give them back in any case with {@code releaseAtEnd}.
     *
     * @throws IllegalTransitionException when the map forbids one of the steps
     * @throws IllegalArgumentException when a step before the last would give slots back
     */
    public static SessionChange steps(Session stored, List<Session> steps, boolean releaseAtEnd) {
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("a change needs at least one step");
        }
        List<SessionStatus> through = new ArrayList<>();
        SessionStatus from = stored.status();
        for (int i = 0; i < steps.size() - 1; i++) {
            Session step = steps.get(i);
            if (releasesSlots(from, step)) {
                throw new IllegalArgumentException("only the last step of a change may give slots back (step " + (i + 1) + ", "
                        + step.status() + ")");
            }
            through.add(step.status());
            from = step.status();
        }
        Session last = steps.get(steps.size() - 1);
        if (releaseAtEnd || releasesSlots(stored.status(), last) || SessionTransitions.isRequeue(from, last.status())) {
            return releasing(last, stored.status(), stored.sequence(), null, null, through);
        }
        return new SessionChange(stored.status(), stored.sequence(), last, List.of(), List.of(), through, Optional.empty());
    }

    /** This change, keeping {@code text} (at most {@link #MAX_STORED_OUTPUT_BYTES}) as the session's last output in the same write. */
    public SessionChange withOutput(String text) {
        return new SessionChange(expectedStatus, expectedSequence, next, agentSlots, pointers, through, Optional.of(text));
    }

    /** Whether {@code text} is small enough to be kept with the session's write ({@link #withOutput}). */
    public static boolean fitsWithTheWrite(String text) {
        return text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= MAX_STORED_OUTPUT_BYTES;
    }

    /** What an agent's item must still say for a reservation or a release on it to hold. */
    public sealed interface AgentCondition {
        /** The agent exists (a release on an agent that is alive, or a plain release). */
        record Exists() implements AgentCondition {
        }

        /** The agent is ALIVE and schedulable (and, for a reservation, has the slots free). */
        record AliveAndSchedulable() implements AgentCondition {
        }

        /** The agent is still LOST with the last heartbeat the sweep saw: it did not revive meanwhile. */
        record Lost(Instant lastHeartbeat) implements AgentCondition {
        }
    }

    /** A kernel's slots taken from ({@code reserve}) or given back to its agent, under a condition on the agent. */
    public record AgentSlots(Kernel kernel, boolean reserve, AgentCondition condition) {
    }

    /**
     * The pointer item of a further kernel ({@code index >= 1}) of a multi-node session, by which its agent finds the
     * session: written when the kernel is placed ({@code put}), deleted when its slots go back.
     */
    public record Pointer(String sessionId, int index, String agentId, Instant sessionCreatedAt, boolean put) {
    }

    /**
     * {@code next} replacing the session stored in {@code expectedStatus} at {@code expectedSequence}. When it leaves
     * the statuses that occupy slots with kernels still reserved, their slots go back in the same write.
     *
     * @throws IllegalTransitionException when the transition map forbids {@code expectedStatus -> next.status()}
     */
    public static SessionChange update(Session next, SessionStatus expectedStatus, long expectedSequence) {
        return releasesSlots(expectedStatus, next) || SessionTransitions.isRequeue(expectedStatus, next.status())
                ? releasing(next, expectedStatus, expectedSequence, null, null)
                : new SessionChange(expectedStatus, expectedSequence, next, List.of(), List.of());
    }

    /** The statuses in which a report of runtime facts alone (a pull's progress) is written: while the workload starts. */
    public static final java.util.Set<SessionStatus> RUNTIME_FACTS_STATUSES =
            java.util.Collections.unmodifiableSet(java.util.EnumSet.of(SessionStatus.PULLING, SessionStatus.PREPARING));

    /**
     * The session's runtime facts replaced by {@code facts}, nothing else: status and sequence stay (so no event is
     * owed, and the next status change carries the latest facts), and the write holds only while the session is still
     * in that status at that sequence. Only while PULLING or PREPARING: later facts ride the status changes.
     *
     * @throws IllegalArgumentException when {@code current} is in any other status
     */
    public static SessionChange runtimeFacts(Session current, dev.sluice.protocol.SessionRuntimeFacts facts) {
        if (!RUNTIME_FACTS_STATUSES.contains(current.status())) {
            throw new IllegalArgumentException("runtime facts alone are written only while a session is PULLING or PREPARING, not "
                    + current.status());
        }
        return new SessionChange(current.status(), current.sequence(), current.withRuntime(facts), List.of(), List.of());
    }

    /**
     * The rule, once: a change gives its kernels' slots back when the session leaves the statuses that occupy slots
     * with kernels still reserved.
     */
    public static boolean releasesSlots(SessionStatus from, Session next) {
        return from.occupiesSlots() && !next.status().occupiesSlots() && !next.unreleasedKernels().isEmpty();
    }

    /**
     * Like {@link #update}, and gives the slots of the session's still-reserved kernels back in any case (a session
     * whose agent is gone while it stays in ERROR); the stored session has every kernel marked released.
     */
    public static SessionChange release(Session next, SessionStatus expectedStatus, long expectedSequence) {
        return releasing(next, expectedStatus, expectedSequence, null, null);
    }

    /**
     * Like {@link #release}, for a session of a LOST agent: the release on that agent holds only while it is still
     * LOST with the last heartbeat {@code lastSeen} (a revived agent's sessions are not resolved behind its back).
     */
    public static SessionChange resolveLost(Session next, SessionStatus expectedStatus, long expectedSequence, String lostAgent,
                                            Instant lastSeen) {
        return releasing(next, expectedStatus, expectedSequence, Objects.requireNonNull(lostAgent), Objects.requireNonNull(lastSeen));
    }

    private static SessionChange releasing(Session next, SessionStatus expectedStatus, long expectedSequence, String lostAgent,
                                           Instant lastSeen) {
        return releasing(next, expectedStatus, expectedSequence, lostAgent, lastSeen, List.of());
    }

    private static SessionChange releasing(Session next, SessionStatus expectedStatus, long expectedSequence, String lostAgent,
                                           Instant lastSeen, List<SessionStatus> through) {
        // Every release moves the sequence on, so a writer that read the kernels still reserved cannot release them again.
        Session stored = (next.sequence() == expectedSequence ? next.nextSequence() : next).withKernelsReleased();
        if (next.status() == SessionStatus.PENDING) {
            // A re-queued session keeps no kernel: its next placement chooses anew, and its old agent no longer hosts it.
            stored = stored.withoutKernels();
        }
        List<AgentSlots> slots = new ArrayList<>();
        for (Kernel k : next.unreleasedKernels()) {
            AgentCondition condition = lostAgent != null && k.agentId().equals(lostAgent)
                    ? new AgentCondition.Lost(lastSeen) : new AgentCondition.Exists();
            slots.add(new AgentSlots(k, false, condition));
        }
        List<Pointer> pointers = new ArrayList<>();
        List<Kernel> kernels = next.kernels();
        for (int i = 1; i < kernels.size(); i++) {
            if (!kernels.get(i).released()) {
                pointers.add(new Pointer(next.id(), i, kernels.get(i).agentId(), next.createdAt(), false));
            }
        }
        return new SessionChange(expectedStatus, expectedSequence, stored, slots, pointers, through, Optional.empty());
    }

    /**
     * The placement of a PENDING session on {@code kernels}: it becomes SCHEDULED, each kernel's slots are reserved on
     * an agent that is still ALIVE, schedulable and has them free, and each further kernel gets its pointer item.
     */
    public static SessionChange place(Session pending, List<Kernel> kernels, String statusInfo, StatusData statusData,
                                      Instant at) {
        if (kernels.isEmpty()) {
            throw new IllegalArgumentException("a placement needs at least one kernel");
        }
        Session scheduled = pending.placedOn(kernels).transitionTo(SessionStatus.SCHEDULED, statusInfo, statusData, at);
        List<AgentSlots> slots = new ArrayList<>();
        for (Kernel k : kernels) {
            slots.add(new AgentSlots(k, true, new AgentCondition.AliveAndSchedulable()));
        }
        List<Pointer> pointers = new ArrayList<>();
        for (int i = 1; i < kernels.size(); i++) {
            pointers.add(new Pointer(pending.id(), i, kernels.get(i).agentId(), pending.createdAt(), true));
        }
        return new SessionChange(pending.status(), pending.sequence(), scheduled, slots, pointers);
    }

    /** The items the store writes for this change: the session, one a kernel's agent, one a pointer, and the output kept with it. */
    public int items() {
        return 1 + agentSlots.size() + pointers.size() + (output.isPresent() ? 1 : 0);
    }

    /** The agents this change reserves or releases slots on. */
    public List<String> agents() {
        return agentSlots.stream().map(a -> a.kernel().agentId()).distinct().toList();
    }
}
