package dev.sluice.adapters.dynamodb;

import dev.sluice.core.fleet.LaunchRecord;
import dev.sluice.core.fleet.PurchaseOption;
import dev.sluice.core.port.FleetStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

/**
 * The fleet's launches and boot times in the fleet table (FLEET_TABLE, hash key {@code id}), three kinds of item:
 * <ul>
 *   <li>a launch, {@code id} = the instance id: what was launched, for which sessions, and its joined, idle-since,
 *       draining and terminated times;</li>
 *   <li>a group's live set, {@code id} = {@code group#<name>}: the string set {@code live} of its instances not yet
 *       terminated. Listing a group's live launches is one strongly consistent GetItem and one BatchGetItem of those
 *       launches, whatever the table holds of terminated ones (a GSI would be eventually consistent: a pass right
 *       after a launch could miss it and launch again). A launch enters the set in the same transaction that records
 *       it and leaves it in the one that marks it terminated;</li>
 *   <li>a type's boot times, {@code id} = {@code boot#<type>}: the last {@link #BOOT_WINDOW} measured
 *       request-to-first-heartbeat times in milliseconds, oldest first, replaced by a write conditional on the
 *       item's {@code version} (retried from a fresh read when two joins race).</li>
 * </ul>
 * Every state change is conditional: a launch is recorded once, joined once, drained once, terminated once.
 */
public final class DynamoFleetStore implements FleetStore {
    /** How many recent boot times of a type are kept. */
    public static final int BOOT_WINDOW = 20;
    private static final int BOOT_WRITE_TRIES = 5;
    private final DynamoDbClient dynamoDb;
    private final String table;

    public DynamoFleetStore(DynamoDbClient dynamoDb, String table) {
        this.dynamoDb = dynamoDb;
        this.table = table;
    }

    private static Map<String, AttributeValue> key(String id) {
        return Map.of("id", AttributeValue.fromS(id));
    }

    private static String groupKey(String group) {
        return "group#" + group;
    }

    @Override
    public boolean recordLaunch(LaunchRecord r) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("id", AttributeValue.fromS(r.instanceId()));
        item.put("kind", AttributeValue.fromS("launch"));
        item.put("group", AttributeValue.fromS(r.group()));
        item.put("instanceType", AttributeValue.fromS(r.instanceType()));
        item.put("purchaseOption", AttributeValue.fromS(r.option().wireName()));
        item.put("zone", AttributeValue.fromS(r.zone()));
        item.put("subnetId", AttributeValue.fromS(r.subnetId()));
        item.put("hourlyMicroUsd", AttributeValue.fromN(Long.toString(r.hourlyMicroUsd())));
        item.put("requestedAt", AttributeValue.fromS(r.requestedAt().toString()));
        item.put("sessionIds", AttributeValue.fromL(r.sessionIds().stream().map(AttributeValue::fromS).toList()));
        r.joinedAt().ifPresent(t -> item.put("joinedAt", AttributeValue.fromS(t.toString())));
        r.idleSince().ifPresent(t -> item.put("idleSince", AttributeValue.fromS(t.toString())));
        r.drainingSince().ifPresent(t -> item.put("drainingSince", AttributeValue.fromS(t.toString())));
        r.terminatedAt().ifPresent(t -> item.put("terminatedAt", AttributeValue.fromS(t.toString())));
        r.endReason().ifPresent(t -> item.put("endReason", AttributeValue.fromS(t)));
        List<TransactWriteItem> writes = new ArrayList<>();
        writes.add(TransactWriteItem.builder().put(p -> p.tableName(table).item(item).conditionExpression("attribute_not_exists(id)")).build());
        if (r.terminatedAt().isEmpty()) {
            writes.add(TransactWriteItem.builder().update(u -> u.tableName(table).key(key(groupKey(r.group())))
                    .updateExpression("ADD live :id").expressionAttributeValues(Map.of(":id", AttributeValue.fromSs(List.of(r.instanceId()))))).build());
        }
        try {
            dynamoDb.transactWriteItems(t -> t.transactItems(writes));
            return true;
        } catch (TransactionCanceledException exists) {
            if (exists.hasCancellationReasons() && !exists.cancellationReasons().isEmpty()
                    && "ConditionalCheckFailed".equals(exists.cancellationReasons().get(0).code())) {
                return false;
            }
            throw exists;
        }
    }

    @Override
    public Optional<LaunchRecord> find(String instanceId) {
        Map<String, AttributeValue> item = dynamoDb.getItem(b -> b.tableName(table).key(key(instanceId)).consistentRead(true)).item();
        return item == null || item.isEmpty() || !item.containsKey("requestedAt") ? Optional.empty() : Optional.of(record(item));
    }

    @Override
    public List<LaunchRecord> live(String group) {
        Map<String, AttributeValue> set = dynamoDb.getItem(b -> b.tableName(table).key(key(groupKey(group))).consistentRead(true)).item();
        if (set == null || !set.containsKey("live")) {
            return List.of();
        }
        List<String> ids = new ArrayList<>(new LinkedHashSet<>(set.get("live").ss()));
        ids.sort(null);
        Map<String, LaunchRecord> found = new HashMap<>();
        for (int from = 0; from < ids.size(); from += BatchReads.MAX_KEYS) {
            List<Map<String, AttributeValue>> keys = ids.subList(from, Math.min(ids.size(), from + BatchReads.MAX_KEYS)).stream()
                    .map(DynamoFleetStore::key).toList();
            Map<String, KeysAndAttributes> request = Map.of(table, KeysAndAttributes.builder().keys(keys).consistentRead(true).build());
            for (int round = 0; !request.isEmpty(); round++) {
                if (round == BatchReads.MAX_ROUNDS) {
                    throw new IllegalStateException("DynamoDB left keys of " + table + " unprocessed " + round + " times");
                }
                if (round > 0) {
                    BatchReads.pause(Math.min(1_000L, 25L << round));
                }
                Map<String, KeysAndAttributes> asked = request;
                BatchGetItemResponse r = dynamoDb.batchGetItem(b -> b.requestItems(asked));
                for (Map<String, AttributeValue> item : r.responses().getOrDefault(table, List.of())) {
                    LaunchRecord rec = record(item);
                    if (rec.terminatedAt().isEmpty()) {
                        found.put(rec.instanceId(), rec);
                    }
                }
                request = r.hasUnprocessedKeys() && r.unprocessedKeys().containsKey(table) && !r.unprocessedKeys().get(table).keys().isEmpty()
                        ? Map.of(table, r.unprocessedKeys().get(table)) : Map.of();
            }
        }
        return ids.stream().filter(found::containsKey).map(found::get).toList();
    }

    /** Sets {@code attribute} to {@code at} when it is not set yet and the launch is not terminated. */
    private boolean setOnce(String instanceId, String attribute, Instant at) {
        try {
            dynamoDb.updateItem(b -> b.tableName(table).key(key(instanceId))
                    .conditionExpression("attribute_exists(requestedAt) AND attribute_not_exists(#a) AND attribute_not_exists(terminatedAt)")
                    .updateExpression("SET #a = :at")
                    .expressionAttributeNames(Map.of("#a", attribute))
                    .expressionAttributeValues(Map.of(":at", AttributeValue.fromS(at.toString()))));
            return true;
        } catch (ConditionalCheckFailedException alreadyOrGone) {
            return false;
        }
    }

    @Override
    public boolean markJoined(String instanceId, Instant at) {
        return setOnce(instanceId, "joinedAt", at);
    }

    @Override
    public boolean setIdleSince(String instanceId, Optional<Instant> expected, Optional<Instant> idleSince) {
        Map<String, AttributeValue> values = new HashMap<>();
        String condition = "attribute_exists(requestedAt) AND attribute_not_exists(terminatedAt) AND "
                + (expected.isPresent() ? "idleSince = :old" : "attribute_not_exists(idleSince)");
        expected.ifPresent(t -> values.put(":old", AttributeValue.fromS(t.toString())));
        idleSince.ifPresent(t -> values.put(":new", AttributeValue.fromS(t.toString())));
        try {
            dynamoDb.updateItem(b -> b.tableName(table).key(key(instanceId)).conditionExpression(condition)
                    .updateExpression(idleSince.isPresent() ? "SET idleSince = :new" : "REMOVE idleSince")
                    .expressionAttributeValues(values.isEmpty() ? null : values));
            return true;
        } catch (ConditionalCheckFailedException changedMeanwhile) {
            return false;
        }
    }

    @Override
    public boolean markDraining(String instanceId, Instant at) {
        return setOnce(instanceId, "drainingSince", at);
    }

    @Override
    public boolean markTerminated(String instanceId, Instant at, String reason) {
        Optional<LaunchRecord> r = find(instanceId);
        if (r.isEmpty() || r.get().terminatedAt().isPresent()) {
            return false;
        }
        List<TransactWriteItem> writes = List.of(
                TransactWriteItem.builder().update(u -> u.tableName(table).key(key(instanceId))
                        .conditionExpression("attribute_exists(requestedAt) AND attribute_not_exists(terminatedAt)")
                        .updateExpression("SET terminatedAt = :at, endReason = :why")
                        .expressionAttributeValues(Map.of(":at", AttributeValue.fromS(at.toString()), ":why", AttributeValue.fromS(reason)))).build(),
                TransactWriteItem.builder().update(u -> u.tableName(table).key(key(groupKey(r.get().group())))
                        .updateExpression("DELETE live :id").expressionAttributeValues(Map.of(":id", AttributeValue.fromSs(List.of(instanceId))))).build());
        try {
            dynamoDb.transactWriteItems(t -> t.transactItems(writes));
            return true;
        } catch (TransactionCanceledException terminatedMeanwhile) {
            if (terminatedMeanwhile.hasCancellationReasons() && !terminatedMeanwhile.cancellationReasons().isEmpty()
                    && "ConditionalCheckFailed".equals(terminatedMeanwhile.cancellationReasons().get(0).code())) {
                return false;
            }
            throw terminatedMeanwhile;
        }
    }

    @Override
    public void recordBootTime(String instanceType, Duration bootTime, Instant at) {
        String id = "boot#" + instanceType;
        for (int attempt = 0; attempt < BOOT_WRITE_TRIES; attempt++) {
            Map<String, AttributeValue> item = dynamoDb.getItem(b -> b.tableName(table).key(key(id)).consistentRead(true)).item();
            boolean exists = item != null && item.containsKey("version");
            long version = exists ? Long.parseLong(item.get("version").n()) : 0;
            List<AttributeValue> samples = new ArrayList<>(exists && item.containsKey("samples") ? item.get("samples").l() : List.of());
            samples.add(AttributeValue.fromN(Long.toString(bootTime.toMillis())));
            while (samples.size() > BOOT_WINDOW) {
                samples.remove(0);
            }
            Map<String, AttributeValue> next = Map.of("id", AttributeValue.fromS(id), "kind", AttributeValue.fromS("boot-times"),
                    "instanceType", AttributeValue.fromS(instanceType), "samples", AttributeValue.fromL(samples),
                    "version", AttributeValue.fromN(Long.toString(version + 1)), "updatedAt", AttributeValue.fromS(at.toString()));
            try {
                if (exists) {
                    dynamoDb.putItem(b -> b.tableName(table).item(next).conditionExpression("version = :v")
                            .expressionAttributeValues(Map.of(":v", AttributeValue.fromN(Long.toString(version)))));
                } else {
                    dynamoDb.putItem(b -> b.tableName(table).item(next).conditionExpression("attribute_not_exists(id)"));
                }
                return;
            } catch (ConditionalCheckFailedException raced) {
                // another join wrote a sample in between: read again and add ours to it
            }
        }
        throw new IllegalStateException("the boot times of " + instanceType + " changed under " + BOOT_WRITE_TRIES + " writes in a row");
    }

    @Override
    public List<Duration> bootTimes(String instanceType) {
        Map<String, AttributeValue> item = dynamoDb.getItem(b -> b.tableName(table).key(key("boot#" + instanceType))).item();
        if (item == null || !item.containsKey("samples")) {
            return List.of();
        }
        return item.get("samples").l().stream().map(v -> Duration.ofMillis(Long.parseLong(v.n()))).toList();
    }

    private static Optional<Instant> time(Map<String, AttributeValue> item, String name) {
        return Optional.ofNullable(item.get(name)).map(v -> Instant.parse(v.s()));
    }

    private static LaunchRecord record(Map<String, AttributeValue> item) {
        return new LaunchRecord(
                item.get("id").s(),
                item.get("group").s(),
                item.get("instanceType").s(),
                PurchaseOption.fromWire(item.get("purchaseOption").s()).orElseThrow(),
                item.get("zone").s(),
                item.get("subnetId").s(),
                Long.parseLong(item.get("hourlyMicroUsd").n()),
                Instant.parse(item.get("requestedAt").s()),
                item.containsKey("sessionIds") ? item.get("sessionIds").l().stream().map(AttributeValue::s).toList() : List.of(),
                time(item, "joinedAt"),
                time(item, "idleSince"),
                time(item, "drainingSince"),
                time(item, "terminatedAt"),
                Optional.ofNullable(item.get("endReason")).map(AttributeValue::s));
    }
}
