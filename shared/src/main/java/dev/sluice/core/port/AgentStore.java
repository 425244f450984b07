package dev.sluice.core.port;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.agent.Heartbeat;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Where agents live. Liveness and drain changes are conditional writes; slot reservations are the scheduler's. */
public interface AgentStore {
    Optional<Agent> find(String id);

    /** The agents of a resource group, by id. */
    List<Agent> inGroup(String resourceGroup);

    /** Every agent, by id. */
    List<Agent> all();

    void put(Agent agent);

    /**
     * Records a heartbeat: registers an unknown agent, revives a LOST one, sets its capacity (free slots follow as
     * capacity minus what is occupied, in the same write) and its last heartbeat.
     */
    HeartbeatRecorded recordHeartbeat(Heartbeat heartbeat, Instant at);

    /** The agent before this heartbeat (empty when it is new) and after. */
    record HeartbeatRecorded(Optional<Agent> before, Agent after) {
    }

    /** Marks an ALIVE agent LOST if its last heartbeat is still {@code lastSeen}; false when it spoke in between. */
    boolean markLost(String id, Instant lastSeen);

    /** Sets whether the scheduler may place new sessions on the agent (drain); empty when there is no such agent. */
    Optional<Agent> setSchedulable(String id, boolean schedulable);

    /**
     * Drains the agent (nothing new is placed on it) only while it holds no session: one conditional write, on every
     * occupied slot being zero (the fleet's scale-in, issue 17). True when the agent is now drained and idle (also when
     * it already was drained); false when it holds a session or does not exist. Since a placement reserves only on a
     * schedulable agent, once this is true nothing can be placed on the agent any more. The default reads then writes
     * (for stores without conditional writes); the DynamoDB store does it in one conditional update.
     */
    default boolean drainIfIdle(String id) {
        return find(id).filter(a -> a.occupiedSlots().isEmpty()).flatMap(a -> setSchedulable(id, false)).isPresent();
    }

    /**
     * Records the interruption of the agent's instance and drains the agent (not schedulable), in one conditional
     * write: a warning replaces nothing but a rebalance recommendation, a rebalance recommendation records only where
     * nothing was, so a repeated delivery changes nothing. Empty when there is no such agent.
     */
    Optional<Interrupted> interrupt(String id, dev.sluice.core.agent.Interruption interruption);

    /** The agent after the interruption was recorded, and whether this call changed it (false: recorded already). */
    record Interrupted(Agent agent, boolean changed) {
    }
}
