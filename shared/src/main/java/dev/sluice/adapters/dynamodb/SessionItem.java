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
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.enhanced.dynamodb.TableSchema;
import software.amazon.awssdk.enhanced.dynamodb.mapper.annotations.DynamoDbBean;
import software.amazon.awssdk.enhanced.dynamodb.mapper.annotations.DynamoDbPartitionKey;
import software.amazon.awssdk.enhanced.dynamodb.mapper.annotations.DynamoDbSecondaryPartitionKey;
import software.amazon.awssdk.enhanced.dynamodb.mapper.annotations.DynamoDbSecondarySortKey;

/**
 * A session as stored in the sessions table. Index keys are derived, and sparse where an index serves only some
 * sessions: {@code pendingGroup} exists only while PENDING, {@code hostingAgent} only while slots are occupied.
 */
@DynamoDbBean
public class SessionItem {
    public static final String BY_OWNER = "by-owner";
    public static final String PENDING_QUEUE = "pending-queue";
    public static final String BY_AGENT = "by-agent";
    public static final String BY_MONTH = "by-month";
    /** Sparse: the owner's sessions that are not TERMINATED or CANCELLED (what usage and folder-in-use checks read). */
    public static final String OPEN_BY_OWNER = "open-by-owner";
    public static final TableSchema<SessionItem> SCHEMA = TableSchema.fromBean(SessionItem.class);

    private String id;
    private String owner;
    private String createdKey;
    private String createdMonth;
    private String name;
    private String type;
    private String image;
    private String resourceGroup;
    private Map<String, String> requestedSlots;
    private Map<String, String> occupiedSlots;
    private List<Map<String, String>> kernels;
    private String status;
    private String statusInfo;
    private String statusData;
    private List<Map<String, String>> statusHistory;
    private String agentId;
    private String hostingAgent;
    private String pendingGroup;
    private String openOwner;
    private String queueKey;
    private String result;
    private Instant createdAt;
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
    private Long sequence;

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
        item.occupiedSlots = s.occupiedSlots().toStrings();
        item.kernels = s.kernels().stream().map(k -> {
            Map<String, String> m = new LinkedHashMap<>(k.slots().toStrings());
            m.put("@agent", k.agentId());
            if (k.released()) {
                m.put("@released", "true");
            }
            return (Map<String, String>) m;
        }).toList();
        item.status = s.status().name();
        item.statusInfo = s.statusInfo();
        item.statusData = Json.write(s.statusData());
        item.statusHistory = s.statusHistory().stream()
                .map(c -> Map.of("status", c.status().name(), "at", c.at().toString()))
                .toList();
        item.agentId = s.agentId().orElse(null);
        // Only while slots are still reserved: an ended or resolved session costs its agent's heartbeat nothing.
        item.hostingAgent = s.status().occupiesSlots() && !s.unreleasedKernels().isEmpty() ? s.agentId().orElse(null) : null;
        // Only until the session is TERMINATED or CANCELLED: an owner's history does not slow the checks of what is open.
        item.openOwner = s.status().isFinal() ? null : s.owner();
        if (s.status() == SessionStatus.PENDING) {
            item.pendingGroup = s.resourceGroup();
            item.queueKey = queueKey(spec.priority(), s.createdAt(), s.id());
        }
        item.result = s.result().name();
        item.createdAt = s.createdAt();
        item.startedAt = s.startedAt().orElse(null);
        item.terminatedAt = s.terminatedAt().orElse(null);
        item.startsAt = spec.startsAt().orElse(null);
        item.startupCommand = spec.startupCommand().orElse(null);
        item.batchTimeoutSeconds = spec.batchTimeout().map(Duration::getSeconds).orElse(null);
        item.dependencies = spec.dependencies();
        item.priority = spec.priority();
        item.callbackUrl = spec.callbackUrl().orElse(null);
        item.clusterMode = spec.clusterMode().wireName();
        item.clusterSize = spec.clusterSize();
        item.environment = spec.environment();
        item.mounts = spec.mounts();
        item.folderMounts = FolderMounts.write(spec.folderMounts());
        item.tags = spec.tags();
        item.sequence = s.sequence();
        return item;
    }

    /** The partition of the every-owner listing: sessions by month of creation, e.g. {@code 2026-11}. */
    static String month(Instant t) {
        return t.toString().substring(0, 7);
    }

    /** Scheduling order within a group: higher priority first, then oldest first. */
    static String queueKey(int priority, Instant createdAt, String id) {
        return String.format("%03d#%s#%s", 100 - priority, createdAt, id);
    }

    public Session toSession() {
        SessionSpec spec = new SessionSpec(
                Optional.ofNullable(name),
                SessionType.fromWire(type).orElseThrow(),
                image,
                Optional.of(resourceGroup),
                ResourceSlots.fromStrings(requestedSlots),
                Optional.ofNullable(startupCommand),
                Optional.ofNullable(startsAt),
                Optional.ofNullable(batchTimeoutSeconds).map(Duration::ofSeconds),
                orEmpty(dependencies),
                priority,
                Optional.ofNullable(callbackUrl),
                ClusterMode.fromWire(clusterMode).orElseThrow(),
                clusterSize,
                environment == null ? Map.of() : environment,
                orEmpty(mounts),
                orEmpty(tags),
                FolderMounts.read(folderMounts));
        List<StatusChange> history = orEmpty(statusHistory).stream()
                .map(e -> new StatusChange(SessionStatus.valueOf(e.get("status")), Instant.parse(e.get("at"))))
                .toList();
        Map<String, Object> data = statusData == null ? Map.of() : new LinkedHashMap<>(Json.readObjectUnchecked(statusData));
        List<Kernel> placed = orEmpty(kernels).stream().map(k -> {
            Map<String, String> slots = new LinkedHashMap<>(k);
            String agent = slots.remove("@agent");
            boolean released = "true".equals(slots.remove("@released"));
            return new Kernel(agent, ResourceSlots.fromStrings(slots), released);
        }).toList();
        return new Session(id, owner, spec, resourceGroup, SessionStatus.valueOf(status), statusInfo, data, history,
                placed, SessionResult.valueOf(result),
                createdAt, Optional.ofNullable(startedAt), Optional.ofNullable(terminatedAt), sequence);
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
    public String getType() { return type; }
    public void setType(String type) { this.type = type; }
    public String getImage() { return image; }
    public void setImage(String image) { this.image = image; }
    public String getResourceGroup() { return resourceGroup; }
    public void setResourceGroup(String resourceGroup) { this.resourceGroup = resourceGroup; }
    public Map<String, String> getRequestedSlots() { return requestedSlots; }
    public void setRequestedSlots(Map<String, String> requestedSlots) { this.requestedSlots = requestedSlots; }
    public Map<String, String> getOccupiedSlots() { return occupiedSlots; }
    public void setOccupiedSlots(Map<String, String> occupiedSlots) { this.occupiedSlots = occupiedSlots; }
    public String getStatus() { return status; }
    public void setStatus(String status) { this.status = status; }
    public String getStatusInfo() { return statusInfo; }
    public void setStatusInfo(String statusInfo) { this.statusInfo = statusInfo; }
    public String getStatusData() { return statusData; }
    public void setStatusData(String statusData) { this.statusData = statusData; }
    public List<Map<String, String>> getStatusHistory() { return statusHistory; }
    public void setStatusHistory(List<Map<String, String>> statusHistory) { this.statusHistory = statusHistory; }
    public List<Map<String, String>> getKernels() { return kernels; }
    public void setKernels(List<Map<String, String>> kernels) { this.kernels = kernels; }
    public String getAgentId() { return agentId; }
    public void setAgentId(String agentId) { this.agentId = agentId; }

    @DynamoDbSecondaryPartitionKey(indexNames = BY_AGENT)
    public String getHostingAgent() { return hostingAgent; }
    public void setHostingAgent(String hostingAgent) { this.hostingAgent = hostingAgent; }

    @DynamoDbSecondaryPartitionKey(indexNames = PENDING_QUEUE)
    public String getPendingGroup() { return pendingGroup; }
    public void setPendingGroup(String pendingGroup) { this.pendingGroup = pendingGroup; }

    @DynamoDbSecondarySortKey(indexNames = PENDING_QUEUE)
    public String getQueueKey() { return queueKey; }
    public void setQueueKey(String queueKey) { this.queueKey = queueKey; }

    public String getResult() { return result; }
    public void setResult(String result) { this.result = result; }
    public Instant getCreatedAt() { return createdAt; }
    public void setCreatedAt(Instant createdAt) { this.createdAt = createdAt; }
    public Instant getStartedAt() { return startedAt; }
    public void setStartedAt(Instant startedAt) { this.startedAt = startedAt; }
    public Instant getTerminatedAt() { return terminatedAt; }
    public void setTerminatedAt(Instant terminatedAt) { this.terminatedAt = terminatedAt; }
    public Instant getStartsAt() { return startsAt; }
    public void setStartsAt(Instant startsAt) { this.startsAt = startsAt; }
    public String getStartupCommand() { return startupCommand; }
    public void setStartupCommand(String startupCommand) { this.startupCommand = startupCommand; }
    public Long getBatchTimeoutSeconds() { return batchTimeoutSeconds; }
    public void setBatchTimeoutSeconds(Long batchTimeoutSeconds) { this.batchTimeoutSeconds = batchTimeoutSeconds; }
    public List<String> getDependencies() { return dependencies; }
    public void setDependencies(List<String> dependencies) { this.dependencies = dependencies; }
    public Integer getPriority() { return priority; }
    public void setPriority(Integer priority) { this.priority = priority; }
    public String getCallbackUrl() { return callbackUrl; }
    public void setCallbackUrl(String callbackUrl) { this.callbackUrl = callbackUrl; }
    public String getClusterMode() { return clusterMode; }
    public void setClusterMode(String clusterMode) { this.clusterMode = clusterMode; }
    public Integer getClusterSize() { return clusterSize; }
    public void setClusterSize(Integer clusterSize) { this.clusterSize = clusterSize; }
    public Map<String, String> getEnvironment() { return environment; }
    public void setEnvironment(Map<String, String> environment) { this.environment = environment; }
    public String getFolderMounts() { return folderMounts; }
    public void setFolderMounts(String folderMounts) { this.folderMounts = folderMounts; }
    public List<String> getMounts() { return mounts; }
    public void setMounts(List<String> mounts) { this.mounts = mounts; }
    public List<String> getTags() { return tags; }
    public void setTags(List<String> tags) { this.tags = tags; }
    public Long getSequence() { return sequence; }
    public void setSequence(Long sequence) { this.sequence = sequence; }
}
