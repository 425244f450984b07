package dev.sluice.core.session;

import dev.sluice.core.slots.ResourceSlots;
import dev.sluice.protocol.SessionRuntimeFacts;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A compute session and everything it keeps about its life (REFERENCE §1). Immutable: a transition
 * yields a new value, which the store writes only if nobody changed the session in between.
 */
public record Session(
        String id,
        String owner,
        SessionSpec spec,
        String resourceGroup,
        SessionStatus status,
        String statusInfo,
        StatusData statusData,
        List<StatusChange> statusHistory,
        List<Kernel> kernels,
        SessionResult result,
        Instant createdAt,
        Optional<Instant> startedAt,
        Optional<Instant> terminatedAt,
        long sequence,
        SessionRuntimeFacts runtime,
        List<Attempt> attempts) {

    public Session {
        runtime = runtime == null ? SessionRuntimeFacts.EMPTY : runtime;
        attempts = attempts == null ? List.of() : List.copyOf(attempts);
        java.util.Objects.requireNonNull(statusData, "statusData");
        statusHistory = List.copyOf(statusHistory);
        kernels = List.copyOf(kernels);
    }

    /** A session of which its agent has reported no runtime facts yet. */
    public Session(String id, String owner, SessionSpec spec, String resourceGroup, SessionStatus status, String statusInfo,
                   StatusData statusData, List<StatusChange> statusHistory, List<Kernel> kernels, SessionResult result,
                   Instant createdAt, Optional<Instant> startedAt, Optional<Instant> terminatedAt, long sequence) {
        this(id, owner, spec, resourceGroup, status, statusInfo, statusData, statusHistory, kernels, result, createdAt, startedAt,
                terminatedAt, sequence, SessionRuntimeFacts.EMPTY, List.of());
    }

    /** A session without retry history (none of its attempts ended yet, or it has no retry rules). */
    public Session(String id, String owner, SessionSpec spec, String resourceGroup, SessionStatus status, String statusInfo,
                   StatusData statusData, List<StatusChange> statusHistory, List<Kernel> kernels, SessionResult result,
                   Instant createdAt, Optional<Instant> startedAt, Optional<Instant> terminatedAt, long sequence,
                   SessionRuntimeFacts runtime) {
        this(id, owner, spec, resourceGroup, status, statusInfo, statusData, statusHistory, kernels, result, createdAt, startedAt,
                terminatedAt, sequence, runtime, List.of());
    }

    /** The agent of the first kernel, once placed (kept after the session ends: where it ran). */
    public Optional<String> agentId() {
        return kernels.isEmpty() ? Optional.empty() : Optional.of(kernels.get(0).agentId());
    }

    /** What the session holds on its agents now: its kernels' slots while its status occupies capacity, else nothing. */
    public ResourceSlots occupiedSlots() {
        if (!status.occupiesSlots()) {
            return ResourceSlots.EMPTY;
        }
        return kernels.stream().filter(k -> !k.released()).map(Kernel::slots).reduce(ResourceSlots.EMPTY, ResourceSlots::add);
    }

    /** The kernels whose slots are still reserved on their agents. */
    public List<Kernel> unreleasedKernels() {
        return kernels.stream().filter(k -> !k.released()).toList();
    }

    /** This session at the next sequence number, nothing else changed (a write that must invalidate earlier reads). */
    public Session nextSequence() {
        return new Session(id, owner, spec, resourceGroup, status, statusInfo, statusData, statusHistory, kernels, result,
                createdAt, startedAt, terminatedAt, sequence + 1, runtime, attempts);
    }

    /** This session with every kernel's slots marked as given back (status and sequence unchanged). */
    public Session withKernelsReleased() {
        return new Session(id, owner, spec, resourceGroup, status, statusInfo, statusData, statusHistory,
                kernels.stream().map(Kernel::release).toList(), result, createdAt, startedAt, terminatedAt, sequence, runtime, attempts);
    }

    /** A new session, PENDING, its history opened. */
    public static Session enqueue(String id, String owner, SessionSpec spec, String resourceGroup, Instant now) {
        return new Session(id, owner, spec, resourceGroup, SessionStatus.PENDING, "enqueued", StatusData.NONE,
                List.of(new StatusChange(SessionStatus.PENDING, now)), List.of(),
                SessionResult.UNDEFINED, now, Optional.empty(), Optional.empty(), 1);
    }

    /**
     * This session moved to {@code to}; throws {@link IllegalTransitionException} when the map forbids it.
     * The kernels are unchanged here: giving their slots back to the agents is the store's write, in the same transaction.
     */
    public Session transitionTo(SessionStatus to, String info, StatusData data, Instant at) {
        if (!SessionTransitions.isAllowed(status, to) || to == SessionStatus.PENDING) {
            // Back to PENDING only as a retry, with the attempt that ended recorded: requeuedAfter.
            throw new IllegalTransitionException(id, status, to);
        }
        List<StatusChange> history = new ArrayList<>(statusHistory);
        history.add(new StatusChange(to, at));
        Optional<Instant> started = to == SessionStatus.RUNNING && startedAt.isEmpty() ? Optional.of(at) : startedAt;
        Optional<Instant> ended = to.isFinal() ? Optional.of(at) : terminatedAt;
        return new Session(id, owner, spec, resourceGroup, to, info, data, history, kernels, result,
                createdAt, started, ended, sequence + 1, runtime, attempts);
    }

    /**
     * This session re-queued after {@code ended}, the attempt that just ended (SessionTransitions: a retry): PENDING
     * again with {@code info} and {@code data}, the attempt appended to its history, result, start, end and runtime facts
     * of the attempt cleared. The kernels are still here so that the change gives their slots back; the stored session
     * keeps none ({@link SessionChange}).
     */
    public Session requeuedAfter(Attempt ended, String info, StatusData data, Instant at) {
        if (!SessionTransitions.isAllowed(status, SessionStatus.PENDING) || status == SessionStatus.PENDING) {
            throw new IllegalTransitionException(id, status, SessionStatus.PENDING);
        }
        List<StatusChange> history = new ArrayList<>(statusHistory);
        history.add(new StatusChange(SessionStatus.PENDING, at));
        List<Attempt> all = new ArrayList<>(attempts);
        all.add(ended);
        return new Session(id, owner, spec, resourceGroup, SessionStatus.PENDING, info, data, history, kernels,
                SessionResult.UNDEFINED, createdAt, Optional.empty(), Optional.empty(), sequence + 1, SessionRuntimeFacts.EMPTY, all);
    }

    /** This session with {@code ended} appended to its attempts (an end that stands, of a session with retry rules). */
    public Session withAttempt(Attempt ended) {
        List<Attempt> all = new ArrayList<>(attempts);
        all.add(ended);
        return new Session(id, owner, spec, resourceGroup, status, statusInfo, statusData, statusHistory, kernels,
                result, createdAt, startedAt, terminatedAt, sequence, runtime, all);
    }

    /** This session with no kernels (a re-queued session, once its slots are given back). */
    public Session withoutKernels() {
        return new Session(id, owner, spec, resourceGroup, status, statusInfo, statusData, statusHistory, List.of(),
                result, createdAt, startedAt, terminatedAt, sequence, runtime, attempts);
    }

    /** The number of the attempt under way (or that ended last, once the session ended): 1 until a retry. */
    public int attempt() {
        long retried = attempts.stream().filter(Attempt::retried).count();
        return (int) retried + 1;
    }

    /** How many of its attempts ended {@code spot-interrupted}. */
    public long spotInterruptions() {
        return attempts.stream().filter(a -> a.statusInfo().equals("spot-interrupted")).count();
    }

    /**
     * Whether the session should run on on-demand capacity only: its retry rules' {@code on_demand_after} spot
     * interruptions happened. No spot agent takes it (PlacementHold) and the fleet launches for it on-demand.
     */
    public boolean onDemandOnly() {
        return spec.retry().filter(r -> r.onDemandOnlyAfter(spotInterruptions())).isPresent();
    }

    /** When the session last re-entered the queue after a retry; empty before any. */
    public Optional<Instant> requeuedAt() {
        for (int i = attempts.size() - 1; i >= 0; i--) {
            if (attempts.get(i).retried()) {
                return Optional.of(attempts.get(i).endedAt());
            }
        }
        return Optional.empty();
    }

    public Session withResult(SessionResult newResult) {
        return new Session(id, owner, spec, resourceGroup, status, statusInfo, statusData, statusHistory, kernels,
                newResult, createdAt, startedAt, terminatedAt, sequence, runtime, attempts);
    }

    /** This pending session with its kernels placed; the caller then moves it to SCHEDULED. */
    public Session placedOn(List<Kernel> placed) {
        return new Session(id, owner, spec, resourceGroup, status, statusInfo, statusData, statusHistory, placed,
                result, createdAt, startedAt, terminatedAt, sequence, runtime, attempts);
    }

    /** This session with the runtime facts its agent reported last (status and sequence unchanged). */
    public Session withRuntime(SessionRuntimeFacts facts) {
        return new Session(id, owner, spec, resourceGroup, status, statusInfo, statusData, statusHistory, kernels,
                result, createdAt, startedAt, terminatedAt, sequence, facts, attempts);
    }

    /** This session with new status data (a pending explanation), its status and sequence unchanged. */
    public Session withStatusData(String info, StatusData data) {
        return new Session(id, owner, spec, resourceGroup, status, info, data, statusHistory, kernels,
                result, createdAt, startedAt, terminatedAt, sequence, runtime, attempts);
    }
}
