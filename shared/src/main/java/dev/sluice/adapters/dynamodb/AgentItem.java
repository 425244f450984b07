package dev.sluice.adapters.dynamodb;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.agent.AgentStatus;
import dev.sluice.core.slots.ResourceSlots;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awssdk.enhanced.dynamodb.TableSchema;
import software.amazon.awssdk.enhanced.dynamodb.mapper.annotations.DynamoDbBean;
import software.amazon.awssdk.enhanced.dynamodb.mapper.annotations.DynamoDbPartitionKey;
import software.amazon.awssdk.enhanced.dynamodb.mapper.annotations.DynamoDbSecondaryPartitionKey;
import software.amazon.awssdk.enhanced.dynamodb.mapper.annotations.DynamoDbSecondarySortKey;

/**
 * An agent as stored in the agents table. Slot amounts are DynamoDB numbers, and {@code freeSlots} is kept beside
 * {@code occupiedSlots} so a placement can reserve with one conditional update ({@code free >= request}) that two
 * racing scheduler passes can never both pass beyond capacity.
 */
@DynamoDbBean
public class AgentItem {
    public static final String BY_GROUP = "by-group";
    public static final TableSchema<AgentItem> SCHEMA = TableSchema.fromBean(AgentItem.class);

    private String id;
    private String resourceGroup;
    private String status;
    private Boolean schedulable;
    private Map<String, BigDecimal> availableSlots;
    private Map<String, BigDecimal> occupiedSlots;
    private Map<String, BigDecimal> freeSlots;
    private String architecture;
    private String version;
    private Map<String, String> computePlugins;
    private Instant firstContact;
    private Instant lastHeartbeat;
    /** The recorded interruption of the agent's instance (dev.sluice.core.agent.Interruption), if any. */
    private String interruptionSource;
    private Instant interruptionDeadline;
    private Instant interruptionNoticedAt;

    public static AgentItem from(Agent a) {
        AgentItem item = new AgentItem();
        item.id = a.id();
        item.resourceGroup = a.resourceGroup();
        item.status = a.status().name();
        item.schedulable = a.schedulable();
        item.availableSlots = numbers(a.availableSlots());
        item.occupiedSlots = numbers(a.occupiedSlots());
        item.freeSlots = numbers(a.freeSlots());
        item.architecture = a.architecture();
        item.version = a.version();
        item.computePlugins = a.computePlugins();
        item.firstContact = a.firstContact();
        item.lastHeartbeat = a.lastHeartbeat();
        a.interruption().ifPresent(i -> {
            item.interruptionSource = i.source();
            item.interruptionDeadline = i.deadline().orElse(null);
            item.interruptionNoticedAt = i.noticedAt();
        });
        return item;
    }

    /** Every known slot, zero included, so conditional updates can address each one by path. */
    static Map<String, BigDecimal> numbers(ResourceSlots slots) {
        Map<String, BigDecimal> m = new LinkedHashMap<>();
        for (String slot : ResourceSlots.KNOWN) {
            m.put(slot, slots.get(slot));
        }
        return m;
    }

    public Agent toAgent() {
        return new Agent(id, resourceGroup, AgentStatus.valueOf(status), schedulable, ResourceSlots.of(orEmpty(availableSlots)),
                ResourceSlots.of(orEmpty(occupiedSlots)), architecture, version, computePlugins == null ? Map.of() : computePlugins,
                firstContact, lastHeartbeat, interruptionSource == null || interruptionNoticedAt == null ? java.util.Optional.empty()
                        : java.util.Optional.of(new dev.sluice.core.agent.Interruption(interruptionSource,
                                java.util.Optional.ofNullable(interruptionDeadline), interruptionNoticedAt)));
    }

    private static Map<String, BigDecimal> orEmpty(Map<String, BigDecimal> m) {
        return m == null ? Map.of() : m;
    }

    @DynamoDbPartitionKey
    @DynamoDbSecondarySortKey(indexNames = BY_GROUP)
    public String getId() { return id; }
    public void setId(String id) { this.id = id; }

    @DynamoDbSecondaryPartitionKey(indexNames = BY_GROUP)
    public String getResourceGroup() { return resourceGroup; }
    public void setResourceGroup(String resourceGroup) { this.resourceGroup = resourceGroup; }

    public String getStatus() { return status; }
    public void setStatus(String status) { this.status = status; }
    public Boolean getSchedulable() { return schedulable; }
    public void setSchedulable(Boolean schedulable) { this.schedulable = schedulable; }
    public Map<String, BigDecimal> getAvailableSlots() { return availableSlots; }
    public void setAvailableSlots(Map<String, BigDecimal> availableSlots) { this.availableSlots = availableSlots; }
    public Map<String, BigDecimal> getOccupiedSlots() { return occupiedSlots; }
    public void setOccupiedSlots(Map<String, BigDecimal> occupiedSlots) { this.occupiedSlots = occupiedSlots; }
    public Map<String, BigDecimal> getFreeSlots() { return freeSlots; }
    public void setFreeSlots(Map<String, BigDecimal> freeSlots) { this.freeSlots = freeSlots; }
    public String getArchitecture() { return architecture; }
    public void setArchitecture(String architecture) { this.architecture = architecture; }
    public String getVersion() { return version; }
    public void setVersion(String version) { this.version = version; }
    public Map<String, String> getComputePlugins() { return computePlugins; }
    public void setComputePlugins(Map<String, String> computePlugins) { this.computePlugins = computePlugins; }
    public Instant getFirstContact() { return firstContact; }
    public void setFirstContact(Instant firstContact) { this.firstContact = firstContact; }
    public Instant getLastHeartbeat() { return lastHeartbeat; }
    public void setLastHeartbeat(Instant lastHeartbeat) { this.lastHeartbeat = lastHeartbeat; }
    public String getInterruptionSource() { return interruptionSource; }
    public void setInterruptionSource(String interruptionSource) { this.interruptionSource = interruptionSource; }
    public Instant getInterruptionDeadline() { return interruptionDeadline; }
    public void setInterruptionDeadline(Instant interruptionDeadline) { this.interruptionDeadline = interruptionDeadline; }
    public Instant getInterruptionNoticedAt() { return interruptionNoticedAt; }
    public void setInterruptionNoticedAt(Instant interruptionNoticedAt) { this.interruptionNoticedAt = interruptionNoticedAt; }
}
