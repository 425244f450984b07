package dev.sluice.core.session;

import dev.sluice.core.slots.ResourceSlots;

/** One kernel of a session, reserved on an agent with its share of the session's slots. */
public record Kernel(String agentId, ResourceSlots slots) {
}
