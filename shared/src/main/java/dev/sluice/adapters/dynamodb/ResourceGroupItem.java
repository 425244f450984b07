package dev.sluice.adapters.dynamodb;

import dev.sluice.adapters.json.Json;
import dev.sluice.core.fleet.FleetCatalog;
import dev.sluice.core.fleet.InstanceType;
import dev.sluice.core.fleet.PurchaseOption;
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
    private String fleet;

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

    /**
     * The stored form of a group's instance catalog: the definition an admin writes (prices as decimal text in dollars
     * an hour), which {@link FleetCatalog#parse} reads back and validates again.
     */
    static java.util.Map<String, Object> storedFleet(FleetCatalog c) {
        java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("instance_types", c.instanceTypes().stream().map(ResourceGroupItem::storedType).toList());
        out.put("subnets", c.subnets().stream().map(s -> java.util.Map.of("zone", s.zone(), "subnet_id", s.subnetId())).toList());
        out.put("min_instances", c.minInstances());
        out.put("max_instances", c.maxInstances());
        out.put("idle_duration", dev.sluice.core.time.DurationText.format(c.idleDuration()));
        out.put("price_source", c.priceSource());
        out.put("right_sizing", c.rightSizing());
        return out;
    }

    private static java.util.Map<String, Object> storedType(InstanceType t) {
        java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("name", t.name());
        t.accelerator().ifPresent(a -> out.put("accelerator", a));
        out.put("slots", t.slots().toStrings());
        out.put("purchase_options", t.purchaseOptions().stream().map(PurchaseOption::wireName).toList());
        t.onDemandMicroUsd().ifPresent(p -> out.put("on_demand_price", FleetCatalog.dollars(p)));
        t.spotMicroUsd().ifPresent(p -> out.put("spot_price", FleetCatalog.dollars(p)));
        out.put("max_instances", t.maxInstances());
        if (!t.zones().isEmpty()) {
            out.put("zones", t.zones());
        }
        return out;
    }

    /** The stored catalog, validated again as it is read; empty when the group has none. */
    public java.util.Optional<FleetCatalog> toFleet() {
        return java.util.Optional.ofNullable(fleet)
                .map(f -> FleetCatalog.parse(dev.sluice.core.request.RequestFields.of(Json.readObjectUnchecked(f))));
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
    /** The group's instance catalog as JSON ({@link #storedFleet}); written by the fleet route alone, left untouched by definition writes. */
    public String getFleet() { return fleet; }
    public void setFleet(String fleet) { this.fleet = fleet; }
    public void setUpdatedAt(Instant updatedAt) { this.updatedAt = updatedAt; }
}
