package dev.sluice.adapters;

import dev.sluice.adapters.aws.AwsCallTimer;
import dev.sluice.adapters.aws.AwsClients;
import dev.sluice.adapters.dynamodb.DynamoSessionStore;
import dev.sluice.adapters.folders.DynamoFolderStore;
import dev.sluice.adapters.folders.DynamoTaskStore;
import dev.sluice.adapters.folders.EventBridgeFolderEvents;
import dev.sluice.adapters.folders.S3FolderStorage;
import dev.sluice.adapters.folders.StepFunctionsCloneWorkflow;
import dev.sluice.core.port.CloneWorkflow;
import dev.sluice.core.port.FolderEvents;
import dev.sluice.core.port.FolderStorage;
import dev.sluice.core.port.FolderStore;
import dev.sluice.core.port.FolderUsers;
import dev.sluice.core.port.TaskStore;
import dev.sluice.core.usecase.CloneSettings;
import dev.sluice.core.usecase.CloneSteps;
import dev.sluice.core.usecase.FolderDeletion;
import dev.sluice.core.usecase.FolderCatalog;
import dev.sluice.core.usecase.FolderClones;
import dev.sluice.core.usecase.FolderFiles;
import dev.sluice.core.usecase.SessionFolderUsers;
import dev.sluice.core.usecase.TaskService;
import java.net.URI;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.sfn.SfnClient;

/**
 * Folders, clones and background tasks wired to their adapters from a function's environment ({@code FOLDERS_TABLE},
 * {@code TASKS_TABLE}, {@code FOLDER_BUCKET}, {@code CLONE_STATE_MACHINE_ARN}, optional {@code CLONE_PAGE_SIZE},
 * {@code CLONE_PAGES_PER_EXECUTION}, {@code CLONE_MULTIPART_THRESHOLD}, {@code CLONE_COPY_CONCURRENCY},
 * {@code FOLDER_DELETE_REQUEST_PAGES}: pages of 1,000 objects a delete request removes before the rest goes to the
 * background). Building it touches no network.
 */
public final class FolderPlane {
    public static final long DEFAULT_MULTIPART_THRESHOLD = 16L * 1024 * 1024;
    public static final long PART_SIZE = 16L * 1024 * 1024;

    private final FolderCatalog catalog;
    private final FolderFiles files;
    private final FolderClones clones;
    private final TaskService tasks;
    private final CloneSteps cloneSteps;
    private final dev.sluice.core.usecase.CloneSweep cloneSweep;
    private final FolderDeletion deletion;
    private final FolderStore folderStore;
    private final TaskStore taskStore;
    private final FolderStorage storage;

    public FolderPlane(FolderStore folderStore, TaskStore taskStore, FolderStorage storage, CloneWorkflow workflow, FolderEvents events,
                       FolderUsers users, Clock clock, CloneSettings settings, int copyConcurrency,
                       FolderDeletion.Budget requestDeletionBudget) {
        this.folderStore = folderStore;
        this.taskStore = taskStore;
        this.storage = storage;
        this.catalog = new FolderCatalog(folderStore, taskStore, storage, events, users, () -> UUID.randomUUID().toString(), clock,
                requestDeletionBudget);
        this.files = new FolderFiles(catalog, storage, settings);
        this.clones = new FolderClones(catalog, folderStore, taskStore, storage, workflow, events, () -> UUID.randomUUID().toString(), clock,
                settings);
        this.deletion = new FolderDeletion(folderStore, taskStore, storage, events, () -> UUID.randomUUID().toString(), clock);
        this.tasks = new TaskService(taskStore, folderStore, storage, workflow, events, clock);
        this.cloneSteps = new CloneSteps(folderStore, taskStore, storage, workflow, events, clock, copyConcurrency);
        this.cloneSweep = new dev.sluice.core.usecase.CloneSweep(folderStore, taskStore, storage, workflow, events, clock, settings);
    }

    public static FolderPlane fromEnvironment(Map<String, String> env) {
        AwsClients aws = AwsClients.shared();
        Optional<URI> endpoint = endpoint();
        S3Client s3 = S3Client.builder().httpClient(AwsClients.httpClient()).credentialsProvider(AwsClients.credentials()).forcePathStyle(endpoint.isPresent())
                .overrideConfiguration(c -> c.addExecutionInterceptor(new AwsCallTimer())).build();
        S3Presigner.Builder presigner = S3Presigner.builder().credentialsProvider(AwsClients.credentials())
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(endpoint.isPresent()).build());
        endpoint.ifPresent(presigner::endpointOverride);
        SfnClient sfn = SfnClient.builder().httpClient(AwsClients.httpClient()).credentialsProvider(AwsClients.credentials()).build();
        String tasksTable = require(env, "TASKS_TABLE");
        long threshold = number(env, "CLONE_MULTIPART_THRESHOLD", DEFAULT_MULTIPART_THRESHOLD);
        return new FolderPlane(
                new DynamoFolderStore(aws.dynamoDb(), require(env, "FOLDERS_TABLE"), tasksTable),
                new DynamoTaskStore(aws.dynamoDb(), tasksTable),
                new S3FolderStorage(s3, presigner.build(), require(env, "FOLDER_BUCKET"), threshold, Math.min(PART_SIZE, Math.max(threshold, 5L << 20))),
                new StepFunctionsCloneWorkflow(sfn, require(env, "CLONE_STATE_MACHINE_ARN")),
                new EventBridgeFolderEvents(aws.eventBridge(), require(env, "EVENT_BUS_NAME")),
                sessionsUsing(env),
                Clock.systemUTC(),
                new CloneSettings((int) number(env, "CLONE_PAGE_SIZE", 1000), (int) number(env, "CLONE_PAGES_PER_EXECUTION", 500),
                        threshold),
                (int) number(env, "CLONE_COPY_CONCURRENCY", 32),
                new FolderDeletion.Budget((int) number(env, "FOLDER_DELETE_REQUEST_PAGES", FolderCatalog.REQUEST_DELETION_BUDGET.pages()),
                        FolderCatalog.REQUEST_DELETION_BUDGET.time()));
    }

    /**
     * Which sessions still mount a folder, from the sessions table ({@code SESSIONS_TABLE}); made at the first rename or
     * delete, so the functions that never ask (clone steps, sweeps) do not pay for it when they start.
     */
    static FolderUsers sessionsUsing(Map<String, String> env) {
        String sessions = require(env, "SESSIONS_TABLE");
        String idempotency = require(env, "IDEMPOTENCY_TABLE");
        String agents = require(env, "AGENTS_TABLE");
        AtomicReference<FolderUsers> made = new AtomicReference<>();
        return (owner, folderId, limit) -> made.updateAndGet(m -> m != null ? m : new SessionFolderUsers(new DynamoSessionStore(
                AwsClients.shared().enhanced(), AwsClients.shared().dynamoDb(), sessions, idempotency, agents, Clock.systemUTC())))
                .activeSessionsMounting(owner, folderId, limit);
    }

    /** Session mounts read folders from the folders table when the function has one (FOLDERS_TABLE). */
    public static dev.sluice.core.port.FolderLookup lookup(Map<String, String> env) {
        String table = env.get("FOLDERS_TABLE");
        if (table == null || table.isBlank()) {
            return dev.sluice.core.port.FolderLookup.NONE;
        }
        DynamoFolderStore store = new DynamoFolderStore(AwsClients.shared().dynamoDb(), table, env.getOrDefault("TASKS_TABLE", ""));
        return store::find;
    }

    /** The endpoint named by the standard variable (or system property), for the presigner, which does not read it. */
    static Optional<URI> endpoint() {
        String value = System.getenv("AWS_ENDPOINT_URL_S3");
        if (value == null || value.isBlank()) {
            value = System.getenv("AWS_ENDPOINT_URL");
        }
        if (value == null || value.isBlank()) {
            value = System.getProperty("aws.endpointUrl");
        }
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(URI.create(value));
    }

    private static long number(Map<String, String> env, String name, long fallback) {
        String v = env.get(name);
        return v == null || v.isBlank() ? fallback : Long.parseLong(v.trim());
    }

    private static String require(Map<String, String> env, String name) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("environment variable " + name + " is not set");
        }
        return value;
    }

    /** Folders' records: create, list, get, rename, delete. */
    public FolderCatalog catalog() {
        return catalog;
    }

    /** Folders' data: uploads, downloads, listings. */
    public FolderFiles files() {
        return files;
    }

    /** Starting clones. */
    public FolderClones clones() {
        return clones;
    }

    public TaskService tasks() {
        return tasks;
    }

    public CloneSteps cloneSteps() {
        return cloneSteps;
    }

    public dev.sluice.core.usecase.CloneSweep cloneSweep() {
        return cloneSweep;
    }

    public FolderDeletion deletion() {
        return deletion;
    }

    public FolderStore folderStore() {
        return folderStore;
    }

    public TaskStore taskStore() {
        return taskStore;
    }

    public FolderStorage storage() {
        return storage;
    }
}
