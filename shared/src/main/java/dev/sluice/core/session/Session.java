package dev.sluice.core.session;

import dev.sluice.core.slots.ResourceSlots;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
        Map<String, Object> statusData,
        List<StatusChange> statusHistory,
        ResourceSlots occupiedSlots,
        Optional<String> agentId,
        SessionResult result,
        Instant createdAt,
        Optional<Instant> startedAt,
        Optional<Instant> terminatedAt,
        long sequence) {

    public Session {
        statusData = Map.copyOf(statusData);
        statusHistory = List.copyOf(statusHistory);
    }

    /** A new session, PENDING, its history opened. */
    public static Session enqueue(String id, String owner, SessionSpec spec, String resourceGroup, Instant now) {
        return new Session(id, owner, spec, resourceGroup, SessionStatus.PENDING, "enqueued", Map.of(),
                List.of(new StatusChange(SessionStatus.PENDING, now)), ResourceSlots.EMPTY, Optional.empty(),
                SessionResult.UNDEFINED, now, Optional.empty(), Optional.empty(), 1);
    }

    /**
     * This session moved to {@code to}; throws {@link IllegalTransitionException} when the map forbids it.
     * Slots are released when the new status no longer occupies them.
     */
    public Session transitionTo(SessionStatus to, String info, Map<String, Object> data, Instant at) {
        if (!SessionTransitions.isAllowed(status, to)) {
            throw new IllegalTransitionException(id, status, to);
        }
        List<StatusChange> history = new ArrayList<>(statusHistory);
        history.add(new StatusChange(to, at));
        ResourceSlots occupied = to.occupiesSlots() ? occupiedSlots : ResourceSlots.EMPTY;
        Optional<Instant> started = to == SessionStatus.RUNNING && startedAt.isEmpty() ? Optional.of(at) : startedAt;
        Optional<Instant> ended = to.isFinal() ? Optional.of(at) : terminatedAt;
        return new Session(id, owner, spec, resourceGroup, to, info, data, history, occupied, agentId, result,
                createdAt, started, ended, sequence + 1);
    }

    public Session withResult(SessionResult newResult) {
        return new Session(id, owner, spec, resourceGroup, status, statusInfo, statusData, statusHistory, occupiedSlots,
                agentId, newResult, createdAt, startedAt, terminatedAt, sequence);
    }

    public Session placedOn(String agent, ResourceSlots slots) {
        return new Session(id, owner, spec, resourceGroup, status, statusInfo, statusData, statusHistory, slots,
                Optional.of(agent), result, createdAt, startedAt, terminatedAt, sequence);
    }
}
