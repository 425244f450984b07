package dev.sluice.core.usecase;

import dev.sluice.core.port.CloneWorkflow;
import dev.sluice.core.port.FolderEvents;
import dev.sluice.core.port.FolderStorage;
import dev.sluice.core.port.FolderStore;
import dev.sluice.core.port.TaskStore;
import dev.sluice.core.task.BackgroundTask;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The safety net under clones, run on a schedule: a clone whose start was written but whose execution was never
 * started (the API's process died between the two) is started now, under its deterministic name; a clone whose
 * execution ended without finishing or cleaning up (stopped by hand, lost with an emulator restart, cleanup out of
 * retries) is cleaned up. So no folder stays cloning or performing for longer than the grace period and one sweep.
 */
public final class CloneSweep {
    /** A clone younger than this is left alone: its request or execution may simply still be on its way. */
    public static final Duration GRACE = Duration.ofMinutes(2);

    public record Result(int checked, int started, int cleanedUp) {
    }

    private final FolderStore folders;
    private final TaskStore tasks;
    private final FolderStorage storage;
    private final CloneWorkflow workflow;
    private final FolderEvents events;
    private final Clock clock;
    private final CloneSettings settings;

    public CloneSweep(FolderStore folders, TaskStore tasks, FolderStorage storage, CloneWorkflow workflow, FolderEvents events, Clock clock,
                      CloneSettings settings) {
        this.folders = folders;
        this.tasks = tasks;
        this.storage = storage;
        this.workflow = workflow;
        this.events = events;
        this.clock = clock;
        this.settings = settings;
    }

    public Result run() {
        Instant now = clock.instant();
        int checked = 0;
        int started = 0;
        int cleaned = 0;
        for (BackgroundTask task : tasks.runningSince(BackgroundTask.KIND_CLONE, now.minus(GRACE), 100)) {
            checked++;
            CloneJob job = CloneJob.of(task);
            Optional<String> execution = tasks.execution(task.id());
            if (execution.isEmpty()) {
                tasks.setExecution(task.id(), workflow.start(CloneJob.executionName(task.id(), 0), CloneState.first(job, settings)));
                started++;
                continue;
            }
            CloneWorkflow.ExecutionState state = workflow.state(execution.get());
            boolean stale = task.updatedAt().isBefore(now.minus(GRACE));
            // SUCCEEDED while the task runs: a continuation that was started but not recorded, unless nothing moved since.
            if (state == CloneWorkflow.ExecutionState.ENDED_BADLY || state == CloneWorkflow.ExecutionState.UNKNOWN
                    || state == CloneWorkflow.ExecutionState.SUCCEEDED && stale) {
                new CloneCleanup(folders, tasks, storage, events, clock).run(job, "the clone's execution ended without finishing its work");
                cleaned++;
            }
        }
        return new Result(checked, started, cleaned);
    }
}
