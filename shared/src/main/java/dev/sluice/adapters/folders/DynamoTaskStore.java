package dev.sluice.adapters.folders;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.sluice.adapters.json.Json;
import dev.sluice.core.port.TaskStore;
import dev.sluice.core.task.BackgroundTask;
import dev.sluice.core.task.TaskPhase;
import dev.sluice.core.task.TaskProgress;
import dev.sluice.core.task.TaskStatus;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;

/** Background tasks in DynamoDB (key {@code id}; GSI {@code by-owner}: owner, createdKey). */
public final class DynamoTaskStore implements TaskStore {
    /** The sparse index of running tasks: only a started task carries its kind here. */
    static final String RUNNING_INDEX = "running";
    static final String RUNNING_KIND = "runningKind";
    private final DynamoDbClient dynamo;
    private final String table;

    public DynamoTaskStore(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    private static AttributeValue s(String v) {
        return AttributeValue.fromS(v);
    }

    private static AttributeValue n(long v) {
        return AttributeValue.fromN(Long.toString(v));
    }

    static Map<String, AttributeValue> item(BackgroundTask t) {
        Map<String, AttributeValue> m = new HashMap<>();
        m.put("id", s(t.id()));
        m.put("kind", s(t.kind()));
        m.put("owner", s(t.owner()));
        m.put("createdKey", s(t.createdAt() + "#" + t.id()));
        m.put("status", s(t.status().wireName()));
        TaskProgress p = t.progress();
        m.put("objectsDone", n(p.objectsDone()));
        m.put("objectsTotal", n(p.objectsTotal()));
        m.put("bytesDone", n(p.bytesDone()));
        m.put("bytesTotal", n(p.bytesTotal()));
        m.put("phase", s(p.phase().wireName()));
        m.put("message", s(p.message()));
        m.put("pagesDone", n(p.pagesDone()));
        m.put("createdAt", s(t.createdAt().toString()));
        m.put("updatedAt", s(t.updatedAt().toString()));
        t.finishedAt().ifPresent(f -> m.put("finishedAt", s(f.toString())));
        m.put("result", s(Json.write(Json.plain(t.result()))));
        t.error().ifPresent(e -> m.put("error", s(e)));
        m.put("sequence", n(t.sequence()));
        if (t.status() == TaskStatus.STARTED) {
            m.put(RUNNING_KIND, s(t.kind()));
        }
        return m;
    }

    static BackgroundTask task(Map<String, AttributeValue> m) {
        TaskProgress progress = new TaskProgress(num(m, "objectsDone"), num(m, "objectsTotal"), num(m, "bytesDone"), num(m, "bytesTotal"),
                TaskPhase.valueOf(m.get("phase").s().toUpperCase(Locale.ROOT)), m.get("message").s(), num(m, "pagesDone"));
        dev.sluice.core.json.JsonObject result;
        try {
            result = Json.object(Json.MAPPER.readValue(m.get("result").s(), new TypeReference<Map<String, Object>>() { }));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("task " + m.get("id").s() + " has an unreadable result", e);
        }
        return new BackgroundTask(m.get("id").s(), m.get("kind").s(), m.get("owner").s(),
                TaskStatus.valueOf(m.get("status").s().toUpperCase(Locale.ROOT)), progress, Instant.parse(m.get("createdAt").s()),
                Instant.parse(m.get("updatedAt").s()), Optional.ofNullable(m.get("finishedAt")).map(v -> Instant.parse(v.s())), result,
                Optional.ofNullable(m.get("error")).map(AttributeValue::s), num(m, "sequence"));
    }

    private static long num(Map<String, AttributeValue> m, String name) {
        AttributeValue v = m.get(name);
        return v == null ? 0 : Long.parseLong(v.n());
    }

    @Override
    public Optional<BackgroundTask> find(String id) {
        Map<String, AttributeValue> item = dynamo.getItem(b -> b.tableName(table).key(Map.of("id", s(id))).consistentRead(true)).item();
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(task(item));
    }

    @Override
    public List<BackgroundTask> list(String owner, int limit) {
        return dynamo.query(b -> b.tableName(table).indexName("by-owner").keyConditionExpression("#owner = :owner")
                        .expressionAttributeNames(Map.of("#owner", "owner")).expressionAttributeValues(Map.of(":owner", s(owner)))
                        .scanIndexForward(false).limit(limit))
                .items().stream().map(DynamoTaskStore::task).toList();
    }

    @Override
    public Optional<BackgroundTask> setPhase(String id, TaskPhase phase, String message, long objectsTotal, long bytesTotal, Instant at) {
        try {
            return Optional.of(task(dynamo.updateItem(b -> b.tableName(table).key(Map.of("id", s(id)))
                    .updateExpression("SET phase = :phase, message = :message, objectsTotal = :objects, bytesTotal = :bytes, "
                            + "updatedAt = :at ADD #sequence :one")
                    .conditionExpression("#status = :started")
                    .expressionAttributeNames(Map.of("#status", "status", "#sequence", "sequence"))
                    .expressionAttributeValues(Map.of(":phase", s(phase.wireName()), ":message", s(message), ":objects", n(objectsTotal),
                            ":bytes", n(bytesTotal), ":at", s(at.toString()), ":one", n(1), ":started", s(TaskStatus.STARTED.wireName())))
                    .returnValues(ReturnValue.ALL_NEW)).attributes()));
        } catch (ConditionalCheckFailedException e) {
            return Optional.empty();
        }
    }

    @Override
    public Optional<BackgroundTask> claim(String id, Instant seen, Instant now) {
        try {
            return Optional.of(task(dynamo.updateItem(b -> b.tableName(table).key(Map.of("id", s(id)))
                    .updateExpression("SET updatedAt = :now ADD #sequence :one")
                    .conditionExpression("#status = :started AND updatedAt = :seen")
                    .expressionAttributeNames(Map.of("#status", "status", "#sequence", "sequence"))
                    .expressionAttributeValues(Map.of(":now", s(now.toString()), ":seen", s(seen.toString()),
                            ":started", s(TaskStatus.STARTED.wireName()), ":one", n(1)))
                    .returnValues(ReturnValue.ALL_NEW)).attributes()));
        } catch (ConditionalCheckFailedException e) {
            return Optional.empty();
        }
    }

    @Override
    public boolean create(BackgroundTask task) {
        try {
            dynamo.putItem(b -> b.tableName(table).item(item(task)).conditionExpression("attribute_not_exists(id)"));
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    @Override
    public PageOutcome addPage(String id, long pagesDoneBefore, long objects, long bytes, TaskPhase phase, String message, Instant at) {
        try {
            // The estimate only grows: a partial count is raised as pages beyond it are copied.
            Map<String, AttributeValue> updated = dynamo.updateItem(b -> b.tableName(table).key(Map.of("id", s(id)))
                    .updateExpression("SET message = :message, updatedAt = :at, phase = :phase "
                            + "ADD objectsDone :objects, bytesDone :bytes, pagesDone :one, #sequence :one")
                    .conditionExpression("#status = :started AND pagesDone = :before")
                    .expressionAttributeNames(Map.of("#status", "status", "#sequence", "sequence"))
                    .expressionAttributeValues(Map.of(":message", s(message), ":at", s(at.toString()), ":objects", n(objects),
                            ":bytes", n(bytes), ":one", n(1), ":before", n(pagesDoneBefore), ":started", s(TaskStatus.STARTED.wireName()),
                            ":phase", s(phase.wireName())))
                    .returnValues(ReturnValue.ALL_NEW)
                    .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)).attributes();
            BackgroundTask task = task(updated);
            // (A deletion keeps no estimate: removing goes on until the listing is empty, and its events keep their sequence.)
            if (phase != TaskPhase.REMOVING
                    && (task.progress().objectsDone() > task.progress().objectsTotal() || task.progress().bytesDone() > task.progress().bytesTotal())) {
                task = raiseEstimate(task, at).orElse(task);
            }
            return new PageOutcome.Counted(task);
        } catch (ConditionalCheckFailedException e) {
            BackgroundTask now = e.hasItem() && !e.item().isEmpty() ? task(e.item()) : find(id).orElseThrow();
            if (now.status() != TaskStatus.STARTED) {
                return new PageOutcome.Ended(now.status());
            }
            return new PageOutcome.AlreadyCounted();
        }
    }

    private Optional<BackgroundTask> raiseEstimate(BackgroundTask task, Instant at) {
        TaskProgress p = task.progress();
        return setPhase(task.id(), p.phase(), p.message(), Math.max(p.objectsDone(), p.objectsTotal()),
                Math.max(p.bytesDone(), p.bytesTotal()), at);
    }

    @Override
    public Optional<BackgroundTask> finish(String id, TaskStatus status, dev.sluice.core.json.JsonObject result, Optional<String> error, Instant at) {
        Map<String, AttributeValue> values = new HashMap<>();
        values.put(":status", s(status.wireName()));
        values.put(":started", s(TaskStatus.STARTED.wireName()));
        values.put(":at", s(at.toString()));
        values.put(":one", n(1));
        values.put(":phase", s(TaskPhase.FINISHED.wireName()));
        values.put(":message", s(error.orElse(status == TaskStatus.DONE ? "done" : status.wireName())));
        StringBuilder update = new StringBuilder("SET #status = :status, updatedAt = :at, finishedAt = :at, phase = :phase, message = :message");
        if (!result.isEmpty()) {
            values.put(":result", s(Json.write(Json.plain(result))));
            update.append(", #result = :result");
        }
        if (error.isPresent()) {
            values.put(":error", s(error.get()));
            update.append(", #error = :error");
        }
        update.append(" REMOVE " + RUNNING_KIND + " ADD #sequence :one");
        Map<String, String> names = new HashMap<>(Map.of("#status", "status", "#sequence", "sequence"));
        if (!result.isEmpty()) {
            names.put("#result", "result");
        }
        if (error.isPresent()) {
            names.put("#error", "error");
        }
        try {
            return Optional.of(task(dynamo.updateItem(b -> b.tableName(table).key(Map.of("id", s(id)))
                    .updateExpression(update.toString()).conditionExpression("#status = :started")
                    .expressionAttributeNames(names)
                    .expressionAttributeValues(values).returnValues(ReturnValue.ALL_NEW)).attributes()));
        } catch (ConditionalCheckFailedException e) {
            return Optional.empty();
        }
    }

    @Override
    public List<BackgroundTask> runningSince(String kind, Instant before, int limit) {
        return dynamo.query(b -> b.tableName(table).indexName(RUNNING_INDEX)
                        .keyConditionExpression(RUNNING_KIND + " = :kind AND createdKey < :before")
                        .expressionAttributeValues(Map.of(":kind", s(kind), ":before", s(before.toString()))).limit(limit))
                .items().stream().map(DynamoTaskStore::task).toList();
    }

    @Override
    public void setExecution(String id, String executionArn) {
        dynamo.updateItem(b -> b.tableName(table).key(Map.of("id", s(id))).updateExpression("SET executionArn = :arn")
                .conditionExpression("attribute_exists(id)").expressionAttributeValues(Map.of(":arn", s(executionArn))));
    }

    @Override
    public Optional<String> execution(String id) {
        Map<String, AttributeValue> item = dynamo.getItem(b -> b.tableName(table).key(Map.of("id", s(id))).consistentRead(true)).item();
        return Optional.ofNullable(item == null ? null : item.get("executionArn")).map(AttributeValue::s);
    }
}
