/**
 * What this host offers: CPU cores, memory, architecture ({@link dev.sluice.agent.discovery.HostResources}), NVIDIA
 * GPUs ({@link dev.sluice.agent.discovery.NvidiaSmi}) and the operator's declared slots, combined by
 * {@link dev.sluice.agent.discovery.Discovery} into the capacity a heartbeat carries.
 */
package dev.sluice.agent.discovery;
