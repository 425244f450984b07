package dev.sluice.core.usecase;

import dev.sluice.core.json.JsonObject;
import dev.sluice.core.folder.Folder;
import dev.sluice.core.folder.FolderStatus;
import dev.sluice.core.port.CloneWorkflow;
import dev.sluice.core.port.FolderEvents;
import dev.sluice.core.port.FolderStorage;
import dev.sluice.core.port.FolderStore;
import dev.sluice.core.port.TaskStore;
import dev.sluice.core.task.BackgroundTask;
import dev.sluice.core.task.TaskPhase;
import dev.sluice.core.task.TaskStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The steps of the clone workflow (each one Lambda invocation of the state machine): prepare (count the source),
 * copy one page, continue as a new execution, finish (verify and mark ready), clean up after a failure. Each takes
 * the execution's state and returns the next one.
 */
public final class CloneSteps {
    /** Thrown when a step cannot go on; the state machine catches it and runs {@link #cleanup}. */
    public static final class CloneFailed extends RuntimeException {
        public CloneFailed(String message) {
            super(message);
        }
    }

    /** How long prepare counts before it settles for a partial estimate (raised as the copy goes). */
    static final Duration COUNT_BUDGET = Duration.ofSeconds(10);

    private final FolderStore folders;
    private final TaskStore tasks;
    private final FolderStorage storage;
    private final CloneWorkflow workflow;
    private final FolderEvents events;
    private final Clock clock;
    private final ExecutorService copiers;

    public CloneSteps(FolderStore folders, TaskStore tasks, FolderStorage storage, CloneWorkflow workflow, FolderEvents events,
                      Clock clock, int copyConcurrency) {
        this.folders = folders;
        this.tasks = tasks;
        this.storage = storage;
        this.workflow = workflow;
        this.events = events;
        this.clock = clock;
        this.copiers = Executors.newFixedThreadPool(copyConcurrency, r -> {
            Thread t = new Thread(r, "clone-copier");
            t.setDaemon(true);
            return t;
        });
    }

    /** Counts the source (within a time budget) and sets the estimate; the phase becomes transferring. */
    public CloneState prepare(CloneState state) {
        CloneJob job = state.job();
        requireRunning(job);
        long objects = 0;
        long bytes = 0;
        Optional<String> token = Optional.empty();
        boolean complete = false;
        Instant deadline = clock.instant().plus(COUNT_BUDGET);
        while (clock.instant().isBefore(deadline)) {
            FolderStorage.ListPage page = storage.list(Folder.prefixOf(job.sourceId()), token, 1000);
            objects += page.objects().size();
            bytes += page.objects().stream().mapToLong(FolderStorage.StoredObject::size).sum();
            token = page.nextToken();
            if (token.isEmpty()) {
                complete = true;
                break;
            }
        }
        String message = complete ? "copying " + objects + " objects" : "copying at least " + objects + " objects";
        BackgroundTask task = tasks.setPhase(job.taskId(), TaskPhase.TRANSFERRING, message, objects, bytes, clock.instant())
                .orElseThrow(() -> new CloneFailed("the task has ended"));
        events.taskUpdated(task, "updated");
        return state.withEstimate(new CloneState.Estimate(objects, bytes, complete));
    }

    /** How long one copy step keeps taking new pages, at most (the rest of its time finishes the pages it took). */
    static final Duration STEP_BUDGET = Duration.ofSeconds(60);
    /**
     * What a copy step keeps between its deadline (no part copy starts after it) and its function's timeout: the part
     * copies still running (one part is at most 525 MiB, a few seconds of S3's server-side copy), the drain and the answer.
     */
    static final Duration STEP_MARGIN = Duration.ofSeconds(60);
    /** The least time a copy step works, however little the function has left (so every step makes progress). */
    static final Duration STEP_MINIMUM = Duration.ofSeconds(5);
    /** The time a copy step has when it is called without a function context (the step function's timeout). */
    public static final Duration DEFAULT_STEP_TIME = Duration.ofSeconds(300);

    /** One listed page whose copies are running. */
    private record InFlight(FolderStorage.ListPage page, List<Future<Long>> copies) {
    }

    /**
     * Copies pages of the source with bounded concurrency, listing the next page while the current one copies (no
     * barrier between pages), and counts each page on the task, in order, as it completes — one progress write and
     * one event a page. Stops at the end of the source, at {@code pages_per_execution} pages in this execution, or
     * when the step's time budget is spent; returns the cursor after the last page counted.
     */
    public CloneState copyPage(CloneState state) {
        return copyPage(state, DEFAULT_STEP_TIME);
    }

    /**
     * {@link #copyPage(CloneState)} in a function with {@code remaining} time left: no part of a big object starts later than
     * {@link #STEP_MARGIN} before the end. A page whose big object is left unfinished is not counted; the next step
     * lists it again and the object's copy goes on from the parts already copied.
     */
    public CloneState copyPage(CloneState state, Duration remaining) {
        Instant started = clock.instant();
        Duration work = remaining.minus(STEP_MARGIN);
        Instant partDeadline = started.plus(work.compareTo(STEP_MINIMUM) < 0 ? STEP_MINIMUM : work);
        CloneJob job = state.job();
        CloneCursor cursor = state.cursor();
        int pageSize = state.pageSize();
        int limit = state.pagesPerExecution();
        requireRunning(job);
        String sourcePrefix = Folder.prefixOf(job.sourceId());
        String targetPrefix = Folder.prefixOf(job.targetId());
        Instant deadline = started.plus(STEP_BUDGET).isBefore(partDeadline) ? started.plus(STEP_BUDGET) : partDeadline;
        java.util.ArrayDeque<InFlight> inFlight = new java.util.ArrayDeque<>();
        Optional<String> listToken = cursor.token();
        boolean moreToList = cursor.hasMore();
        Optional<String> committed = cursor.token();
        boolean committedMore = cursor.hasMore();
        long pagesDone = cursor.pagesDone();
        long pagesHere = cursor.pagesHere();
        while (true) {
            boolean mayList = moreToList && pagesHere + inFlight.size() < limit
                    && (inFlight.isEmpty() && pagesHere == cursor.pagesHere() || clock.instant().isBefore(deadline));
            if (mayList && inFlight.size() < 2) {
                FolderStorage.ListPage page = storage.list(sourcePrefix, listToken, pageSize);
                List<Future<Long>> copies = new ArrayList<>();
                for (FolderStorage.StoredObject o : page.objects()) {
                    String target = targetPrefix + o.key().substring(sourcePrefix.length());
                    copies.add(copiers.submit(() -> storage.copy(o.key(), target, o.size(), partDeadline)));
                }
                inFlight.add(new InFlight(page, copies));
                listToken = page.nextToken();
                moreToList = listToken.isPresent();
                continue;
            }
            if (inFlight.isEmpty()) {
                break;
            }
            InFlight head = inFlight.poll();
            long bytes;
            try {
                bytes = await(head, sourcePrefix);
            } catch (CloneFailed e) {
                drain(inFlight);
                throw e;
            }
            if (bytes < 0) {
                // A big object of this page is not copied yet: the step ends here, the next one lists the page again.
                drain(inFlight);
                break;
            }
            TaskStore.PageOutcome outcome = tasks.addPage(job.taskId(), pagesDone, head.page().objects().size(), bytes,
                    "copied page " + (pagesDone + 1), clock.instant());
            if (outcome instanceof TaskStore.PageOutcome.Counted counted) {
                events.taskUpdated(counted.task(), "updated");
            } else if (outcome instanceof TaskStore.PageOutcome.Ended ended) {
                // Cancelled while these pages were copying: what they wrote after the cancel's cleanup is removed again.
                drain(inFlight);
                storage.deletePrefix(targetPrefix);
                throw new CloneFailed("the task was " + ended.status().wireName());
            }
            pagesDone++;
            pagesHere++;
            committed = head.page().nextToken();
            committedMore = committed.isPresent();
        }
        return state.withCursor(new CloneCursor(committed, pagesDone, pagesHere, committedMore));
    }

    /**
     * Waits for a page's copies; the bytes copied, -1 when a copy stopped at the step's deadline, or the first failure
     * (after every copy of the page has ended).
     */
    private static long await(InFlight page, String sourcePrefix) {
        long bytes = 0;
        boolean unfinished = false;
        String failure = null;
        for (int i = 0; i < page.copies().size(); i++) {
            try {
                bytes += page.copies().get(i).get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof FolderStorage.CopyUnfinished) {
                    unfinished = true;
                } else if (failure == null) {
                    failure = "could not copy '" + page.page().objects().get(i).key().substring(sourcePrefix.length()) + "': "
                            + e.getCause().getMessage();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CloneFailed("interrupted");
            }
        }
        if (failure != null) {
            throw new CloneFailed(failure);
        }
        return unfinished ? -1 : bytes;
    }

    /** Lets the copies still running end, so that nothing is written after the cleanup that follows. */
    private static void drain(java.util.Deque<InFlight> inFlight) {
        for (InFlight page : inFlight) {
            for (Future<Long> copy : page.copies()) {
                try {
                    copy.get();
                } catch (ExecutionException ignored) {
                    // the step fails anyway
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** What {@link #continueAsNew} started: the next execution and its generation. */
    public record Continued(String execution, int generation) {
    }

    /** What {@link #finish} did: the clone is done, with this many objects copied. */
    public record Finished(long objects) {
    }

    /** What {@link #cleanup} did: the clone was undone, for this reason. */
    public record CleanedUp(String reason) {
    }

    /** Starts the next execution with the cursor (deterministic name: a retried step starts nothing new). */
    public Continued continueAsNew(CloneState state) {
        CloneJob job = state.job();
        requireRunning(job);
        CloneState next = state.continued();
        String execution = workflow.start(CloneJob.executionName(job.taskId(), next.generation()), next);
        tasks.setExecution(job.taskId(), execution);
        return new Continued(execution, next.generation());
    }

    /** Verifies the counts, then marks the target and the source ready and the task done. */
    public Finished finish(CloneState state) {
        CloneJob job = state.job();
        BackgroundTask task = requireRunning(job);
        CloneState.Estimate estimate = state.estimate();
        long counted = estimate.objects();
        long copied = task.progress().objectsDone();
        tasks.setPhase(job.taskId(), TaskPhase.VERIFYING, "verifying " + copied + " objects", Math.max(counted, copied),
                Math.max(estimate.bytes(), task.progress().bytesDone()), clock.instant())
                .ifPresent(t -> events.taskUpdated(t, "updated"));
        if (estimate.complete() && counted != copied) {
            throw new CloneFailed("the source changed during the clone: " + counted + " objects were counted, " + copied + " copied");
        }
        Instant now = clock.instant();
        Folder target = folders.transition(job.owner(), job.targetName(), job.targetId(), EnumSet.of(FolderStatus.CLONING),
                FolderStatus.READY, "cloned from '" + job.sourceName() + "'", now)
                .orElseThrow(() -> new CloneFailed("the target folder is no longer cloning"));
        events.folderStatusChanged(target, Optional.of(FolderStatus.CLONING));
        folders.transition(job.owner(), job.sourceName(), job.sourceId(), EnumSet.of(FolderStatus.PERFORMING), FolderStatus.READY,
                "clone to '" + job.targetName() + "' done", now).ifPresent(f -> events.folderStatusChanged(f, Optional.of(FolderStatus.PERFORMING)));
        JsonObject result = task.result().toBuilder().put("objects", copied).put("bytes", task.progress().bytesDone()).build();
        tasks.finish(job.taskId(), TaskStatus.DONE, result, Optional.empty(), now).ifPresent(t -> events.taskUpdated(t, "done"));
        return new Finished(copied);
    }

    /** After any failure: the cleanup (idempotent), with the failure's message on the task. */
    public CleanedUp cleanup(CloneState state) {
        String reason = state.failure().map(CloneSteps::failureMessage).orElse("the clone failed");
        new CloneCleanup(folders, tasks, storage, events, clock).run(state.job(), reason);
        return new CleanedUp(reason);
    }

    /** The message of a caught error: the Lambda error's message when the cause is its JSON, else the error name. */
    static String failureMessage(CloneState.Failure failure) {
        if (failure.cause().isPresent()) {
            String text = failure.cause().get();
            int at = text.indexOf("\"errorMessage\"");
            if (at >= 0) {
                int colon = text.indexOf(':', at);
                int open = text.indexOf('"', colon + 1);
                int close = open;
                while (close >= 0) {
                    close = text.indexOf('"', close + 1);
                    if (close < 0 || text.charAt(close - 1) != '\\') {
                        break;
                    }
                }
                if (open >= 0 && close > open) {
                    return text.substring(open + 1, close).replace("\\\"", "\"").replace("\\\\", "\\");
                }
            }
            if (!text.isBlank()) {
                return text.length() > 500 ? text.substring(0, 500) : text;
            }
        }
        return failure.error().map(error -> "the clone failed: " + error).orElse("the clone failed");
    }

    private BackgroundTask requireRunning(CloneJob job) {
        BackgroundTask task = tasks.find(job.taskId()).orElseThrow(() -> new CloneFailed("no task " + job.taskId()));
        if (task.status() != TaskStatus.STARTED) {
            throw new CloneFailed("the task was " + task.status().wireName());
        }
        return task;
    }
}
