package dev.sluice.core.agent;

/** The liveness of an agent as the control plane sees it. */
public enum AgentStatus {
    ALIVE, LOST, RESTARTING, TERMINATED
}
