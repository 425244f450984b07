/** Running host programs (nvidia-smi, docker) behind one small interface that tests replace with canned answers. */
package dev.sluice.agent.command;
