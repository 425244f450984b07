package dev.sluice.adapters.dynamodb;

import dev.sluice.adapters.json.Json;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.group.SchedulerKind;
import dev.sluice.core.group.SchedulerOptions;
import java.time.Instant;
import software.amazon.awssdk.enhanced.dynamodb.TableSchema;
import software.amazon.awssdk.enhanced.dynamodb.mapper.annotations.DynamoDbBean;
import software.amazon.awssdk.enhanced.dynamodb.mapper.annotations.DynamoDbPartitionKey;

/** A resource group as stored; its scheduler options are kept as JSON and validated again when read. */
@DynamoDbBean
public class ResourceGroupItem {
    public static final TableSchema<ResourceGroupItem> SCHEMA = TableSchema.fromBean(ResourceGroupItem.class);

    private String name;
    private String description;
    private Boolean active;
    private Boolean isPublic;
    private String scheduler;
    private String schedulerOptions;
    private Instant createdAt;
    private Instant updatedAt;
    private String roundRobinAgent;

    public static ResourceGroupItem from(ResourceGroup g) {
        ResourceGroupItem item = new ResourceGroupItem();
        item.name = g.name();
        item.description = g.description();
        item.active = g.active();
        item.isPublic = g.isPublic();
        item.scheduler = g.scheduler().wireName();
        item.schedulerOptions = Json.write(storedOptions(g.schedulerOptions()));
        item.createdAt = g.createdAt();
        item.updatedAt = g.updatedAt();
        return item;
    }

    /** The stored form of a group's scheduler options: the definition an admin writes, which {@link SchedulerOptions#parse} reads back. */
    static java.util.Map<String, Object> storedOptions(SchedulerOptions o) {
        java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("allowed_session_types", o.allowedSessionTypes().stream().map(dev.sluice.core.session.SessionType::wireName).toList());
        out.put("pending_timeout", dev.sluice.core.time.DurationText.format(o.pendingTimeout()));
        out.put("agent_selection_strategy", o.agentSelectionStrategy().wireName());
        java.util.Map<String, Object> config = new java.util.LinkedHashMap<>();
        o.config().numRetriesToSkip().ifPresent(n -> config.put("num_retries_to_skip", n));
        out.put("config", config);
        return out;
    }

    public ResourceGroup toResourceGroup() {
        return new ResourceGroup(name, description, active, isPublic,
                SchedulerKind.fromWire(scheduler).orElseThrow(() -> new IllegalStateException("stored scheduler " + scheduler + " is unknown")),
                SchedulerOptions.parse(dev.sluice.core.request.RequestFields.of(Json.readObjectUnchecked(schedulerOptions)).at(SchedulerOptions.FIELD)), createdAt, updatedAt);
    }

    @DynamoDbPartitionKey
    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public String getDescription() { return description; }
    public void setDescription(String description) { this.description = description; }
    public Boolean getActive() { return active; }
    public void setActive(Boolean active) { this.active = active; }
    public Boolean getIsPublic() { return isPublic; }
    public void setIsPublic(Boolean isPublic) { this.isPublic = isPublic; }
    public String getScheduler() { return scheduler; }
    public void setScheduler(String scheduler) { this.scheduler = scheduler; }
    public String getSchedulerOptions() { return schedulerOptions; }
    public void setSchedulerOptions(String schedulerOptions) { this.schedulerOptions = schedulerOptions; }
    public Instant getCreatedAt() { return createdAt; }
    public void setCreatedAt(Instant createdAt) { this.createdAt = createdAt; }
    /** Where the group's round robin stopped; written by the scheduler alone, left untouched by definition writes. */
    public String getRoundRobinAgent() { return roundRobinAgent; }
    public void setRoundRobinAgent(String roundRobinAgent) { this.roundRobinAgent = roundRobinAgent; }
    public Instant getUpdatedAt() { return updatedAt; }
    public void setUpdatedAt(Instant updatedAt) { this.updatedAt = updatedAt; }
}
