package dev.sluice.adapters.dynamodb;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.agent.AgentStatus;
import dev.sluice.core.agent.Heartbeat;
import dev.sluice.core.port.AgentStore;
import dev.sluice.core.slots.ResourceSlots;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbEnhancedClient;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbTable;
import software.amazon.awssdk.enhanced.dynamodb.Expression;
import software.amazon.awssdk.enhanced.dynamodb.Key;
import software.amazon.awssdk.enhanced.dynamodb.model.GetItemEnhancedRequest;
import software.amazon.awssdk.enhanced.dynamodb.model.PutItemEnhancedRequest;
import software.amazon.awssdk.enhanced.dynamodb.model.QueryConditional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;

/** Agents in DynamoDB, keyed by id (the EC2 instance id on AWS), listed per resource group through {@code by-group}. */
public final class DynamoAgentStore implements AgentStore {
    private final DynamoDbTable<AgentItem> table;
    private final DynamoDbClient dynamoDb;
    private final String tableName;

    public DynamoAgentStore(DynamoDbEnhancedClient client, DynamoDbClient dynamoDb, String tableName) {
        this.table = client.table(tableName, AgentItem.SCHEMA);
        this.dynamoDb = dynamoDb;
        this.tableName = tableName;
    }

    @Override
    public Optional<Agent> find(String id) {
        return Optional.ofNullable(table.getItem(GetItemEnhancedRequest.builder()
                .key(Key.builder().partitionValue(id).build()).consistentRead(true).build())).map(AgentItem::toAgent);
    }

    @Override
    public List<Agent> inGroup(String resourceGroup) {
        return table.index(AgentItem.BY_GROUP)
                .query(QueryConditional.keyEqualTo(Key.builder().partitionValue(resourceGroup).build()))
                .stream().flatMap(p -> p.items().stream()).map(AgentItem::toAgent).toList();
    }

    @Override
    public List<Agent> all() {
        return table.scan().items().stream().map(AgentItem::toAgent).sorted(Comparator.comparing(Agent::id)).toList();
    }

    @Override
    public void put(Agent agent) {
        table.putItem(AgentItem.from(agent));
    }

    /**
     * One UpdateItem for a known agent: capacity, status ALIVE, last heartbeat, and for every slot
     * {@code freeSlots.x = capacity.x - occupiedSlots.x} computed by DynamoDB from the stored occupancy, so a
     * heartbeat racing a placement can never hand out capacity the placement just took. An unknown agent is put
     * once, conditional on not existing.
     */
    @Override
    public HeartbeatRecorded recordHeartbeat(Heartbeat hb, Instant at) {
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                UpdateItemResponse r = dynamoDb.updateItem(heartbeatUpdate(hb, at));
                Agent before = AgentItem.SCHEMA.mapToItem(r.attributes()).toAgent();
                Agent after = new Agent(hb.agentId(), hb.resourceGroup(), AgentStatus.ALIVE, before.schedulable(),
                        hb.availableSlots(), before.occupiedSlots(), hb.architecture(), hb.version(), hb.computePlugins(),
                        before.firstContact(), at, before.interruption());
                return new HeartbeatRecorded(Optional.of(before), after);
            } catch (ConditionalCheckFailedException unknown) {
                Agent fresh = new Agent(hb.agentId(), hb.resourceGroup(), AgentStatus.ALIVE, true, hb.availableSlots(),
                        ResourceSlots.EMPTY, hb.architecture(), hb.version(), hb.computePlugins(), at, at);
                try {
                    table.putItem(PutItemEnhancedRequest.builder(AgentItem.class).item(AgentItem.from(fresh))
                            .conditionExpression(Expression.builder().expression("attribute_not_exists(id)").build()).build());
                    return new HeartbeatRecorded(Optional.empty(), fresh);
                } catch (ConditionalCheckFailedException registeredMeanwhile) {
                    // another heartbeat of the same agent registered it first: update it
                }
            }
        }
        throw new IllegalStateException("agent " + hb.agentId() + " could not be recorded");
    }

    /** The heartbeat's UpdateItem as {@link #recordHeartbeat} sends it (public for the agent benchmark's baseline). */
    public software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest heartbeatUpdate(Heartbeat hb, Instant at) {
        Map<String, String> names = new HashMap<>();
        Map<String, AttributeValue> values = new HashMap<>();
        List<String> sets = new ArrayList<>();
        names.put("#status", "status");
        names.put("#group", "resourceGroup");
        names.put("#avail", "availableSlots");
        names.put("#free", "freeSlots");
        names.put("#occ", "occupiedSlots");
        values.put(":alive", AttributeValue.fromS(AgentStatus.ALIVE.name()));
        values.put(":group", AttributeValue.fromS(hb.resourceGroup()));
        values.put(":arch", AttributeValue.fromS(hb.architecture()));
        values.put(":ver", AttributeValue.fromS(hb.version()));
        values.put(":at", AttributeValue.fromS(at.toString()));
        Map<String, AttributeValue> plugins = new HashMap<>();
        hb.computePlugins().forEach((k, v) -> plugins.put(k, AttributeValue.fromS(v)));
        values.put(":plugins", AttributeValue.fromM(plugins));
        sets.add("#status = :alive");
        sets.add("#group = :group");
        sets.add("architecture = :arch");
        sets.add("version = :ver");
        sets.add("computePlugins = :plugins");
        sets.add("lastHeartbeat = :at");
        Map<String, BigDecimal> capacity = AgentItem.numbers(hb.availableSlots());
        int i = 0;
        for (Map.Entry<String, BigDecimal> e : capacity.entrySet()) {
            names.put("#s" + i, e.getKey());
            values.put(":a" + i, AttributeValue.fromN(e.getValue().toPlainString()));
            sets.add("#avail.#s" + i + " = :a" + i);
            sets.add("#free.#s" + i + " = :a" + i + " - #occ.#s" + i);
            i++;
        }
        return software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest.builder()
                .tableName(tableName)
                .key(Map.of("id", AttributeValue.fromS(hb.agentId())))
                .conditionExpression("attribute_exists(id)")
                .updateExpression("SET " + String.join(", ", sets))
                .expressionAttributeNames(names)
                .expressionAttributeValues(values)
                .returnValues(ReturnValue.ALL_OLD)
                .build();
    }

    @Override
    public boolean markLost(String id, Instant lastSeen) {
        try {
            dynamoDb.updateItem(b -> b.tableName(tableName)
                    .key(Map.of("id", AttributeValue.fromS(id)))
                    .conditionExpression("#status = :alive AND lastHeartbeat = :seen")
                    .updateExpression("SET #status = :lost")
                    .expressionAttributeNames(Map.of("#status", "status"))
                    .expressionAttributeValues(Map.of(
                            ":alive", AttributeValue.fromS(AgentStatus.ALIVE.name()),
                            ":lost", AttributeValue.fromS(AgentStatus.LOST.name()),
                            ":seen", AttributeValue.fromS(lastSeen.toString()))));
            return true;
        } catch (ConditionalCheckFailedException spokeInBetween) {
            return false;
        }
    }

    @Override
    public Optional<Agent> setSchedulable(String id, boolean schedulable) {
        try {
            UpdateItemResponse r = dynamoDb.updateItem(b -> b.tableName(tableName)
                    .key(Map.of("id", AttributeValue.fromS(id)))
                    .conditionExpression("attribute_exists(id)")
                    .updateExpression("SET schedulable = :s")
                    .expressionAttributeValues(Map.of(":s", AttributeValue.fromBool(schedulable)))
                    .returnValues(ReturnValue.ALL_NEW));
            return Optional.of(AgentItem.SCHEMA.mapToItem(r.attributes()).toAgent());
        } catch (ConditionalCheckFailedException noSuchAgent) {
            return Optional.empty();
        }
    }

    @Override
    public boolean drainIfIdle(String id) {
        Map<String, String> names = new java.util.HashMap<>();
        Map<String, AttributeValue> values = new java.util.HashMap<>();
        names.put("#occ", "occupiedSlots");
        names.put("#sched", "schedulable");
        values.put(":zero", AttributeValue.fromN("0"));
        values.put(":no", AttributeValue.fromBool(false));
        List<String> conditions = new java.util.ArrayList<>(List.of("attribute_exists(id)"));
        for (int i = 0; i < dev.sluice.core.slots.ResourceSlots.KNOWN.size(); i++) {
            names.put("#s" + i, dev.sluice.core.slots.ResourceSlots.KNOWN.get(i));
            conditions.add("(attribute_not_exists(#occ.#s" + i + ") OR #occ.#s" + i + " = :zero)");
        }
        try {
            dynamoDb.updateItem(b -> b.tableName(tableName)
                    .key(Map.of("id", AttributeValue.fromS(id)))
                    .conditionExpression(String.join(" AND ", conditions))
                    .updateExpression("SET #sched = :no")
                    .expressionAttributeNames(names)
                    .expressionAttributeValues(values));
            return true;
        } catch (ConditionalCheckFailedException busyOrGone) {
            return false;
        }
    }

    /**
     * One conditional UpdateItem: {@code schedulable = false} and the interruption's attributes, only where the agent
     * exists and no interruption of the same or a stronger kind is recorded (a warning replaces a rebalance
     * recommendation, never the other way round). A failed condition reads the agent: recorded already, or no agent.
     */
    @Override
    public Optional<Interrupted> interrupt(String id, dev.sluice.core.agent.Interruption interruption) {
        Map<String, AttributeValue> values = new HashMap<>();
        values.put(":no", AttributeValue.fromBool(false));
        values.put(":src", AttributeValue.fromS(interruption.source()));
        values.put(":at", AttributeValue.fromS(interruption.noticedAt().toString()));
        boolean warning = interruption.deadline().isPresent();
        interruption.deadline().ifPresent(d -> values.put(":deadline", AttributeValue.fromS(d.toString())));
        String set = "SET schedulable = :no, interruptionSource = :src, interruptionNoticedAt = :at"
                + (warning ? ", interruptionDeadline = :deadline" : "");
        String condition = warning ? "attribute_exists(id) AND attribute_not_exists(interruptionDeadline)"
                : "attribute_exists(id) AND attribute_not_exists(interruptionSource)";
        try {
            UpdateItemResponse r = dynamoDb.updateItem(b -> b.tableName(tableName)
                    .key(Map.of("id", AttributeValue.fromS(id)))
                    .conditionExpression(condition)
                    .updateExpression(set)
                    .expressionAttributeValues(values)
                    .returnValues(ReturnValue.ALL_NEW));
            return Optional.of(new Interrupted(AgentItem.SCHEMA.mapToItem(r.attributes()).toAgent(), true));
        } catch (ConditionalCheckFailedException recordedOrNoAgent) {
            return find(id).map(a -> new Interrupted(a, false));
        }
    }
}
