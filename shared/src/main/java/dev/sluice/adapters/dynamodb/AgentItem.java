package dev.sluice.adapters.dynamodb;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.agent.AgentStatus;
import dev.sluice.core.slots.ResourceSlots;
import java.time.Instant;
import java.util.Map;
import software.amazon.awssdk.enhanced.dynamodb.TableSchema;
import software.amazon.awssdk.enhanced.dynamodb.mapper.annotations.DynamoDbBean;
import software.amazon.awssdk.enhanced.dynamodb.mapper.annotations.DynamoDbPartitionKey;
import software.amazon.awssdk.enhanced.dynamodb.mapper.annotations.DynamoDbSecondaryPartitionKey;
import software.amazon.awssdk.enhanced.dynamodb.mapper.annotations.DynamoDbSecondarySortKey;

/** An agent as stored in the agents table. */
@DynamoDbBean
public class AgentItem {
    public static final String BY_GROUP = "by-group";
    public static final TableSchema<AgentItem> SCHEMA = TableSchema.fromBean(AgentItem.class);

    private String id;
    private String resourceGroup;
    private String status;
    private Boolean schedulable;
    private Map<String, String> availableSlots;
    private Map<String, String> occupiedSlots;
    private String architecture;
    private String version;
    private Map<String, String> computePlugins;
    private Instant firstContact;
    private Instant lastHeartbeat;

    public static AgentItem from(Agent a) {
        AgentItem item = new AgentItem();
        item.id = a.id();
        item.resourceGroup = a.resourceGroup();
        item.status = a.status().name();
        item.schedulable = a.schedulable();
        item.availableSlots = a.availableSlots().toStrings();
        item.occupiedSlots = a.occupiedSlots().toStrings();
        item.architecture = a.architecture();
        item.version = a.version();
        item.computePlugins = a.computePlugins();
        item.firstContact = a.firstContact();
        item.lastHeartbeat = a.lastHeartbeat();
        return item;
    }

    public Agent toAgent() {
        return new Agent(id, resourceGroup, AgentStatus.valueOf(status), schedulable, ResourceSlots.fromStrings(availableSlots),
                ResourceSlots.fromStrings(occupiedSlots), architecture, version, computePlugins == null ? Map.of() : computePlugins,
                firstContact, lastHeartbeat);
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
    public Map<String, String> getAvailableSlots() { return availableSlots; }
    public void setAvailableSlots(Map<String, String> availableSlots) { this.availableSlots = availableSlots; }
    public Map<String, String> getOccupiedSlots() { return occupiedSlots; }
    public void setOccupiedSlots(Map<String, String> occupiedSlots) { this.occupiedSlots = occupiedSlots; }
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
}
