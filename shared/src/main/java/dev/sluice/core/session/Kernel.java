package dev.sluice.core.session;

import dev.sluice.core.slots.ResourceSlots;

/**
 * One kernel of a session, reserved on an agent with its share of the session's slots. {@code released} records
 * that its slots went back to the agent: a session ends (or its agent is lost) once, and its slots are released once.
 */
public record Kernel(String agentId, ResourceSlots slots, boolean released) {
    public Kernel(String agentId, ResourceSlots slots) {
        this(agentId, slots, false);
    }

    public Kernel release() {
        return new Kernel(agentId, slots, true);
    }
}
