package dev.sluice.agent.command;

/**
 * Runs host programs ({@code nvidia-smi}, {@code docker}). The agent uses {@link ProcessCommandRunner}; tests inject
 * canned results so discovery and the Docker runtime's sequencing are checked without the programs.
 */
@FunctionalInterface
public interface CommandRunner {

    /** Runs {@code command} to its end (or its timeout) and never throws for a missing program or a failure. */
    CommandResult run(Command command);
}
