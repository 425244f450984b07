/**
 * The agent API's wire as the agent speaks it: the heartbeat it sends and the answer it reads, and what their JSON
 * weighs. Pure data: nothing here knows the ledger, the runtime or the loop (the architecture test holds it so).
 */
package dev.sluice.agent.protocol;
