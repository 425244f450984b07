package dev.sluice.adapters.dynamodb;

import dev.sluice.adapters.json.Json;
import dev.sluice.core.session.ClusterMode;
import dev.sluice.core.session.Kernel;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionResult;
import dev.sluice.core.session.SessionSpec;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.session.SessionType;
import dev.sluice.core.session.StatusChange;
import dev.sluice.core.slots.ResourceSlots;
import dev.sluice.protocol.SessionRuntimeFacts;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.enhanced.dynamodb.TableSchema;
import software.amazon.awssdk.enhanced.dynamodb.mapper.annotations.DynamoDbAttribute;
import software.amazon.awssdk.enhanced.dynamodb.mapper.annotations.DynamoDbBean;
import software.amazon.awssdk.enhanced.dynamodb.mapper.annotations.DynamoDbPartitionKey;
import software.amazon.awssdk.enhanced.dynamodb.mapper.annotations.DynamoDbSecondaryPartitionKey;
import software.amazon.awssdk.enhanced.dynamodb.mapper.annotations.DynamoDbSecondarySortKey;

/**
 * A session as stored in the sessions table. Index keys are derived, and sparse where an index serves only some
 * sessions: {@code pendingGroup} exists only while PENDING, {@code hostingAgent} only while slots are occupied.
 *
 * <p>Small on purpose: DynamoDB bills a write per started KiB of the item, in the table and again in each index that
 * projects it ({@code pending-queue} and {@code by-agent} project the whole item; the listing indexes keys only). Attributes that no key,
 * condition or filter names have names of a few letters (the domain and the API keep theirs); what can be derived is
 * not stored (the creation time is in {@code createdKey}, the agent and the occupied slots in the kernels), nor is
 * what is empty or the default. Items written before (long names, {@code statusHistory} as maps) are still read: their
 * long-named attributes map to the {@code legacy*} properties, which are never written.
 */
@DynamoDbBean
public class SessionItem {
    public static final String BY_OWNER = "by-owner";
    public static final String PENDING_QUEUE = "pending-queue";
    public static final String BY_AGENT = "by-agent";
    public static final String BY_MONTH = "by-month";
    /** Sparse: the owner's sessions that are not TERMINATED or CANCELLED (what usage and folder-in-use checks read). */
    public static final String OPEN_BY_OWNER = "open-by-owner";
    /** The listing indexes projecting keys only (the sessions are then read by BatchGetItem): what the listings read. */
    public static final String BY_OWNER_KEYS = "by-owner-keys";
    public static final String OPEN_BY_OWNER_KEYS = "open-by-owner-keys";
    public static final String BY_MONTH_KEYS = "by-month-keys";
    public static final TableSchema<SessionItem> SCHEMA = TableSchema.fromBean(SessionItem.class);

    // Named by keys, conditions or filters: their names stay.
    private String id;
    private String owner;
    private String createdKey;
    private String createdMonth;
    private String name;
    private String resourceGroup;
    private String status;
    private String hostingAgent;
    private String pendingGroup;
    private String openOwner;
    private String queueKey;
    private Long sequence;
    // Short names.
    private String type;
    private String image;
    private Map<String, String> requestedSlots;
    private List<Map<String, String>> kernels;
    private String statusInfo;
    private String statusData;
    /** Each change as "STATUS instant". */
    private List<String> history;
    private String result;
    private Instant startedAt;
    private Instant terminatedAt;
    private Instant startsAt;
    private String startupCommand;
    private Long batchTimeoutSeconds;
    private List<String> dependencies;
    private Integer priority;
    private String callbackUrl;
    private String clusterMode;
    private Integer clusterSize;
    private Map<String, String> environment;
    private List<String> mounts;
    private String folderMounts;
    private List<String> tags;
    /** What the agent reported about the workload, as {@link SessionRuntimeFacts}' own JSON (absent when nothing). */
    private String runtime;
    /** The spec's retry rules, as {@link dev.sluice.core.session.RetryPolicy#toWire} JSON (absent without). */
    private String retry;
    /** The ended attempts of a session with retry rules, as a JSON list of {@link dev.sluice.core.session.Attempt#toWire} (absent when none). */
    private String attempts;
    /** Items written before the short names: read, never written. */
    private final Map<String, Object> legacy = new java.util.HashMap<>();

    public static SessionItem from(Session s) {
        SessionSpec spec = s.spec();
        SessionItem item = new SessionItem();
        item.id = s.id();
        item.owner = s.owner();
        item.createdKey = s.createdAt() + "#" + s.id();
        item.createdMonth = month(s.createdAt());
        item.name = spec.name().orElse(null);
        item.type = spec.type().wireName();
        item.image = spec.image();
        item.resourceGroup = s.resourceGroup();
        item.requestedSlots = spec.requestedSlots().toStrings();
        item.kernels = s.kernels().isEmpty() ? null : s.kernels().stream().map(k -> {
            Map<String, String> m = new LinkedHashMap<>(k.slots().toStrings());
            m.put("@agent", k.agentId());
            if (k.released()) {
                m.put("@released", "true");
            }
            return (Map<String, String>) m;
        }).toList();
        item.status = s.status().name();
        item.statusInfo = s.statusInfo();
        item.statusData = s.statusData().isEmpty() ? null : Json.write(Json.plain(s.statusData().json()));
        item.history = s.statusHistory().stream().map(c -> c.status().name() + " " + c.at()).toList();
        // Only while slots are still reserved: an ended or resolved session costs its agent's heartbeat nothing.
        item.hostingAgent = s.status().occupiesSlots() && !s.unreleasedKernels().isEmpty() ? s.agentId().orElse(null) : null;
        // Only until the session is TERMINATED or CANCELLED: an owner's history does not slow the checks of what is open.
        item.openOwner = s.status().isFinal() ? null : s.owner();
        if (s.status() == SessionStatus.PENDING) {
            item.pendingGroup = s.resourceGroup();
            item.queueKey = queueKey(s);
        }
        item.result = s.result().name();
        item.startedAt = s.startedAt().orElse(null);
        item.terminatedAt = s.terminatedAt().orElse(null);
        item.startsAt = spec.startsAt().orElse(null);
        item.startupCommand = spec.startupCommand().orElse(null);
        item.batchTimeoutSeconds = spec.batchTimeout().map(Duration::getSeconds).orElse(null);
        item.dependencies = nullIfEmpty(spec.dependencies());
        item.priority = spec.priority() == SessionSpec.DEFAULT_PRIORITY ? null : spec.priority();
        item.callbackUrl = spec.callbackUrl().orElse(null);
        item.clusterMode = spec.clusterMode() == ClusterMode.SINGLE_NODE ? null : spec.clusterMode().wireName();
        item.clusterSize = spec.clusterSize() == 1 ? null : spec.clusterSize();
        item.environment = spec.environment().isEmpty() ? null : spec.environment();
        item.mounts = nullIfEmpty(spec.mounts());
        item.folderMounts = spec.folderMounts().isEmpty() ? null : FolderMounts.write(spec.folderMounts());
        item.tags = nullIfEmpty(spec.tags());
        item.sequence = s.sequence();
        item.runtime = s.runtime().isEmpty() ? null : s.runtime().toJson();
        item.retry = spec.retry().map(r -> Json.write(Json.plain(r.toWire()))).orElse(null);
        item.attempts = s.attempts().isEmpty() ? null
                : Json.write(s.attempts().stream().map(a -> Json.plain(a.toWire())).toList());
        return item;
    }

    private static <T> List<T> nullIfEmpty(List<T> list) {
        return list.isEmpty() ? null : list;
    }

    /** The partition of the every-owner listing: sessions by month of creation, e.g. {@code 2026-11}. */
    static String month(Instant t) {
        return t.toString().substring(0, 7);
    }

    /** Scheduling order within a group: higher priority first, then oldest first. */
    static String queueKey(int priority, Instant createdAt, String id) {
        return String.format("%03d#%s#%s", 100 - priority, createdAt, id);
    }

    /**
     * A pending session's key in the queue: {@link #queueKey(int, Instant, String)}, and a session re-queued by a retry
     * at the head of its priority: {@code !} after the priority sorts before every creation time (a digit), so among
     * sessions of one priority the retried ones come first, oldest first.
     */
    static String queueKey(Session s) {
        String key = queueKey(s.spec().priority(), s.createdAt(), s.id());
        return s.requeuedAt().isPresent() ? key.substring(0, 4) + RETRIED + key.substring(4) : key;
    }

    /** What marks a retried session's queue key (see {@link #queueKey(Session)}). */
    static final String RETRIED = "!";

    @SuppressWarnings("unchecked")
    private <T> T or(T value, String legacyName) {
        return value != null ? value : (T) legacy.get(legacyName);
    }

    public Session toSession() {
        String clusterModeText = or(clusterMode, "clusterMode");
        Integer size = or(clusterSize, "clusterSize");
        Integer prio = or(priority, "priority");
        Map<String, String> env = or(environment, "environment");
        String folders = or(folderMounts, "folderMounts");
        SessionSpec spec = new SessionSpec(
                Optional.ofNullable(name),
                SessionType.fromWire(or(type, "type")).orElseThrow(),
                or(image, "image"),
                Optional.of(resourceGroup),
                ResourceSlots.fromStrings(or(requestedSlots, "requestedSlots")),
                Optional.ofNullable(or(startupCommand, "startupCommand")),
                Optional.ofNullable(or(startsAt, "startsAt")),
                Optional.ofNullable((Long) or(batchTimeoutSeconds, "batchTimeoutSeconds")).map(Duration::ofSeconds),
                orEmpty(or(dependencies, "dependencies")),
                prio == null ? SessionSpec.DEFAULT_PRIORITY : prio,
                Optional.ofNullable(or(callbackUrl, "callbackUrl")),
                clusterModeText == null ? ClusterMode.SINGLE_NODE : ClusterMode.fromWire(clusterModeText).orElseThrow(),
                size == null ? 1 : size,
                env == null ? Map.of() : env,
                orEmpty(or(mounts, "mounts")),
                orEmpty(or(tags, "tags")),
                FolderMounts.read(folders),
                Optional.ofNullable(retry).map(r -> dev.sluice.core.session.RetryPolicy.fromWire(Json.readJsonObject(r))));
        List<StatusChange> changes;
        if (history != null) {
            changes = history.stream().map(h -> {
                int space = h.indexOf(' ');
                return new StatusChange(SessionStatus.valueOf(h.substring(0, space)), Instant.parse(h.substring(space + 1)));
            }).toList();
        } else {
            List<Map<String, String>> old = orEmpty(legacyStatusHistory);
            changes = old.stream().map(e -> new StatusChange(SessionStatus.valueOf(e.get("status")), Instant.parse(e.get("at")))).toList();
        }
        String dataText = or(statusData, "statusData");
        dev.sluice.core.session.StatusData data = dataText == null ? dev.sluice.core.session.StatusData.NONE
                : new dev.sluice.core.session.StatusData(Json.readJsonObject(dataText));
        List<Kernel> placed = orEmpty(or(kernels, "kernels")).stream().map(k -> {
            Map<String, String> slots = new LinkedHashMap<>(k);
            String agent = slots.remove("@agent");
            boolean released = "true".equals(slots.remove("@released"));
            return new Kernel(agent, ResourceSlots.fromStrings(slots), released);
        }).toList();
        Instant createdAt = Instant.parse(createdKey.substring(0, createdKey.indexOf('#')));
        return new Session(id, owner, spec, resourceGroup, SessionStatus.valueOf(status), or(statusInfo, "statusInfo"), data, changes,
                placed, SessionResult.valueOf(or(result, "result")),
                createdAt, Optional.ofNullable(or(startedAt, "startedAt")), Optional.ofNullable(or(terminatedAt, "terminatedAt")), sequence,
                SessionRuntimeFacts.fromJson(runtime), readAttempts(attempts));
    }

    @SuppressWarnings("unchecked")
    private static List<dev.sluice.core.session.Attempt> readAttempts(String text) {
        if (text == null) {
            return List.of();
        }
        try {
            List<Object> list = Json.MAPPER.readValue(text, List.class);
            return list.stream().map(m -> dev.sluice.core.session.Attempt.fromWire(Json.object((Map<String, Object>) m))).toList();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a stored session's attempts are not JSON", e);
        }
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }

    @DynamoDbPartitionKey
    public String getId() { return id; }
    public void setId(String id) { this.id = id; }

    @DynamoDbSecondaryPartitionKey(indexNames = BY_OWNER)
    public String getOwner() { return owner; }
    public void setOwner(String owner) { this.owner = owner; }

    @DynamoDbSecondarySortKey(indexNames = {BY_OWNER, BY_AGENT, BY_MONTH, OPEN_BY_OWNER})
    public String getCreatedKey() { return createdKey; }
    public void setCreatedKey(String createdKey) { this.createdKey = createdKey; }

    @DynamoDbSecondaryPartitionKey(indexNames = OPEN_BY_OWNER)
    public String getOpenOwner() { return openOwner; }
    public void setOpenOwner(String openOwner) { this.openOwner = openOwner; }

    @DynamoDbSecondaryPartitionKey(indexNames = BY_MONTH)
    public String getCreatedMonth() { return createdMonth; }
    public void setCreatedMonth(String createdMonth) { this.createdMonth = createdMonth; }

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public String getResourceGroup() { return resourceGroup; }
    public void setResourceGroup(String resourceGroup) { this.resourceGroup = resourceGroup; }
    public String getStatus() { return status; }
    public void setStatus(String status) { this.status = status; }
    public Long getSequence() { return sequence; }
    public void setSequence(Long sequence) { this.sequence = sequence; }

    @DynamoDbSecondaryPartitionKey(indexNames = BY_AGENT)
    public String getHostingAgent() { return hostingAgent; }
    public void setHostingAgent(String hostingAgent) { this.hostingAgent = hostingAgent; }

    @DynamoDbSecondaryPartitionKey(indexNames = PENDING_QUEUE)
    public String getPendingGroup() { return pendingGroup; }
    public void setPendingGroup(String pendingGroup) { this.pendingGroup = pendingGroup; }

    @DynamoDbSecondarySortKey(indexNames = PENDING_QUEUE)
    public String getQueueKey() { return queueKey; }
    public void setQueueKey(String queueKey) { this.queueKey = queueKey; }

    @DynamoDbAttribute("ty") public String getType() { return type; }
    public void setType(String type) { this.type = type; }
    @DynamoDbAttribute("im") public String getImage() { return image; }
    public void setImage(String image) { this.image = image; }
    @DynamoDbAttribute("rs") public Map<String, String> getRequestedSlots() { return requestedSlots; }
    public void setRequestedSlots(Map<String, String> requestedSlots) { this.requestedSlots = requestedSlots; }
    @DynamoDbAttribute("k") public List<Map<String, String>> getKernels() { return kernels; }
    public void setKernels(List<Map<String, String>> kernels) { this.kernels = kernels; }
    @DynamoDbAttribute("si") public String getStatusInfo() { return statusInfo; }
    public void setStatusInfo(String statusInfo) { this.statusInfo = statusInfo; }
    @DynamoDbAttribute("sd") public String getStatusData() { return statusData; }
    public void setStatusData(String statusData) { this.statusData = statusData; }
    @DynamoDbAttribute("h") public List<String> getHistory() { return history; }
    public void setHistory(List<String> history) { this.history = history; }
    @DynamoDbAttribute("r") public String getResult() { return result; }
    public void setResult(String result) { this.result = result; }
    @DynamoDbAttribute("t1") public Instant getStartedAt() { return startedAt; }
    public void setStartedAt(Instant startedAt) { this.startedAt = startedAt; }
    @DynamoDbAttribute("t2") public Instant getTerminatedAt() { return terminatedAt; }
    public void setTerminatedAt(Instant terminatedAt) { this.terminatedAt = terminatedAt; }
    @DynamoDbAttribute("t0") public Instant getStartsAt() { return startsAt; }
    public void setStartsAt(Instant startsAt) { this.startsAt = startsAt; }
    @DynamoDbAttribute("cmd") public String getStartupCommand() { return startupCommand; }
    public void setStartupCommand(String startupCommand) { this.startupCommand = startupCommand; }
    @DynamoDbAttribute("bt") public Long getBatchTimeoutSeconds() { return batchTimeoutSeconds; }
    public void setBatchTimeoutSeconds(Long batchTimeoutSeconds) { this.batchTimeoutSeconds = batchTimeoutSeconds; }
    @DynamoDbAttribute("dp") public List<String> getDependencies() { return dependencies; }
    public void setDependencies(List<String> dependencies) { this.dependencies = dependencies; }
    @DynamoDbAttribute("pr") public Integer getPriority() { return priority; }
    public void setPriority(Integer priority) { this.priority = priority; }
    @DynamoDbAttribute("cb") public String getCallbackUrl() { return callbackUrl; }
    public void setCallbackUrl(String callbackUrl) { this.callbackUrl = callbackUrl; }
    @DynamoDbAttribute("cm") public String getClusterMode() { return clusterMode; }
    public void setClusterMode(String clusterMode) { this.clusterMode = clusterMode; }
    @DynamoDbAttribute("cs") public Integer getClusterSize() { return clusterSize; }
    public void setClusterSize(Integer clusterSize) { this.clusterSize = clusterSize; }
    @DynamoDbAttribute("env") public Map<String, String> getEnvironment() { return environment; }
    public void setEnvironment(Map<String, String> environment) { this.environment = environment; }
    @DynamoDbAttribute("fm") public String getFolderMounts() { return folderMounts; }
    public void setFolderMounts(String folderMounts) { this.folderMounts = folderMounts; }
    @DynamoDbAttribute("mn") public List<String> getMounts() { return mounts; }
    public void setMounts(List<String> mounts) { this.mounts = mounts; }
    @DynamoDbAttribute("tg") public List<String> getTags() { return tags; }
    public void setTags(List<String> tags) { this.tags = tags; }
    @DynamoDbAttribute("rt") public String getRuntime() { return runtime; }
    public void setRuntime(String runtime) { this.runtime = runtime; }
    @DynamoDbAttribute("ry") public String getRetry() { return retry; }
    public void setRetry(String retry) { this.retry = retry; }
    @DynamoDbAttribute("at") public String getAttempts() { return attempts; }
    public void setAttempts(String attempts) { this.attempts = attempts; }

    // Items written before the short names: each long name is read into legacy, never written (the getters answer null).
    private List<Map<String, String>> legacyStatusHistory;
    @DynamoDbAttribute("statusHistory") public List<Map<String, String>> getLegacyStatusHistory() { return null; }
    public void setLegacyStatusHistory(List<Map<String, String>> v) { legacyStatusHistory = v; }
    @DynamoDbAttribute("type") public String getLegacyType() { return null; }
    public void setLegacyType(String v) { legacy.put("type", v); }
    @DynamoDbAttribute("image") public String getLegacyImage() { return null; }
    public void setLegacyImage(String v) { legacy.put("image", v); }
    @DynamoDbAttribute("requestedSlots") public Map<String, String> getLegacyRequestedSlots() { return null; }
    public void setLegacyRequestedSlots(Map<String, String> v) { legacy.put("requestedSlots", v); }
    @DynamoDbAttribute("kernels") public List<Map<String, String>> getLegacyKernels() { return null; }
    public void setLegacyKernels(List<Map<String, String>> v) { legacy.put("kernels", v); }
    @DynamoDbAttribute("statusInfo") public String getLegacyStatusInfo() { return null; }
    public void setLegacyStatusInfo(String v) { legacy.put("statusInfo", v); }
    @DynamoDbAttribute("statusData") public String getLegacyStatusData() { return null; }
    public void setLegacyStatusData(String v) { legacy.put("statusData", v); }
    @DynamoDbAttribute("result") public String getLegacyResult() { return null; }
    public void setLegacyResult(String v) { legacy.put("result", v); }
    @DynamoDbAttribute("startedAt") public Instant getLegacyStartedAt() { return null; }
    public void setLegacyStartedAt(Instant v) { legacy.put("startedAt", v); }
    @DynamoDbAttribute("terminatedAt") public Instant getLegacyTerminatedAt() { return null; }
    public void setLegacyTerminatedAt(Instant v) { legacy.put("terminatedAt", v); }
    @DynamoDbAttribute("startsAt") public Instant getLegacyStartsAt() { return null; }
    public void setLegacyStartsAt(Instant v) { legacy.put("startsAt", v); }
    @DynamoDbAttribute("startupCommand") public String getLegacyStartupCommand() { return null; }
    public void setLegacyStartupCommand(String v) { legacy.put("startupCommand", v); }
    @DynamoDbAttribute("batchTimeoutSeconds") public Long getLegacyBatchTimeoutSeconds() { return null; }
    public void setLegacyBatchTimeoutSeconds(Long v) { legacy.put("batchTimeoutSeconds", v); }
    @DynamoDbAttribute("dependencies") public List<String> getLegacyDependencies() { return null; }
    public void setLegacyDependencies(List<String> v) { legacy.put("dependencies", v); }
    @DynamoDbAttribute("priority") public Integer getLegacyPriority() { return null; }
    public void setLegacyPriority(Integer v) { legacy.put("priority", v); }
    @DynamoDbAttribute("callbackUrl") public String getLegacyCallbackUrl() { return null; }
    public void setLegacyCallbackUrl(String v) { legacy.put("callbackUrl", v); }
    @DynamoDbAttribute("clusterMode") public String getLegacyClusterMode() { return null; }
    public void setLegacyClusterMode(String v) { legacy.put("clusterMode", v); }
    @DynamoDbAttribute("clusterSize") public Integer getLegacyClusterSize() { return null; }
    public void setLegacyClusterSize(Integer v) { legacy.put("clusterSize", v); }
    @DynamoDbAttribute("environment") public Map<String, String> getLegacyEnvironment() { return null; }
    public void setLegacyEnvironment(Map<String, String> v) { legacy.put("environment", v); }
    @DynamoDbAttribute("folderMounts") public String getLegacyFolderMounts() { return null; }
    public void setLegacyFolderMounts(String v) { legacy.put("folderMounts", v); }
    @DynamoDbAttribute("mounts") public List<String> getLegacyMounts() { return null; }
    public void setLegacyMounts(List<String> v) { legacy.put("mounts", v); }
    @DynamoDbAttribute("tags") public List<String> getLegacyTags() { return null; }
    public void setLegacyTags(List<String> v) { legacy.put("tags", v); }
}
