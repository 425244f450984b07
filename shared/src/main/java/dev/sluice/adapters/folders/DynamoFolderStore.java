package dev.sluice.adapters.folders;

import dev.sluice.core.folder.Folder;
import dev.sluice.core.folder.FolderPermission;
import dev.sluice.core.folder.FolderStatus;
import dev.sluice.core.folder.FolderStatusChange;
import dev.sluice.core.folder.UsageMode;
import dev.sluice.core.port.FolderStore;
import dev.sluice.core.task.BackgroundTask;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

/**
 * Folders in DynamoDB, keyed by owner and name (names are unique per owner). A completely deleted folder keeps its
 * item until a new folder takes the name; every status change is conditional on the folder's id and current status.
 */
public final class DynamoFolderStore implements FolderStore {
    /** A name is free when no item holds it or the one holding it was deleted completely. */
    static final String NAME_FREE = "attribute_not_exists(#name) OR #status = :deleteComplete";

    private final DynamoDbClient dynamo;
    private final String table;
    private final String tasksTable;

    public DynamoFolderStore(DynamoDbClient dynamo, String table, String tasksTable) {
        this.dynamo = dynamo;
        this.table = table;
        this.tasksTable = tasksTable;
    }

    static AttributeValue s(String v) {
        return AttributeValue.fromS(v);
    }

    static Map<String, AttributeValue> key(String owner, String name) {
        return Map.of("owner", s(owner), "name", s(name));
    }

    static Map<String, AttributeValue> item(Folder f) {
        Map<String, AttributeValue> m = new HashMap<>();
        m.put("owner", s(f.owner()));
        m.put("name", s(f.name()));
        m.put("id", s(f.id()));
        m.put("host", s(f.host()));
        m.put("usageMode", s(f.usageMode().wireName()));
        m.put("permission", s(f.permission().wireName()));
        m.put("cloneable", AttributeValue.fromBool(f.cloneable()));
        m.put("status", s(f.status().wireName()));
        m.put("history", AttributeValue.fromL(f.statusHistory().stream().map(DynamoFolderStore::change).toList()));
        m.put("createdAt", s(f.createdAt().toString()));
        return m;
    }

    static AttributeValue change(FolderStatusChange c) {
        return AttributeValue.fromM(Map.of("status", s(c.status().wireName()), "at", s(c.at().toString()), "reason", s(c.reason())));
    }

    static Folder folder(Map<String, AttributeValue> m) {
        List<FolderStatusChange> history = new ArrayList<>();
        for (AttributeValue c : m.get("history").l()) {
            history.add(new FolderStatusChange(FolderStatus.ofWire(c.m().get("status").s()).orElseThrow(),
                    Instant.parse(c.m().get("at").s()), c.m().get("reason").s()));
        }
        return new Folder(m.get("id").s(), m.get("name").s(), m.get("host").s(), m.get("owner").s(),
                UsageMode.ofWire(m.get("usageMode").s()).orElseThrow(), FolderPermission.ofWire(m.get("permission").s()).orElseThrow(),
                m.get("cloneable").bool(), FolderStatus.ofWire(m.get("status").s()).orElseThrow(), history,
                Instant.parse(m.get("createdAt").s()));
    }

    @Override
    public Optional<Folder> find(String owner, String name) {
        Map<String, AttributeValue> item = dynamo.getItem(b -> b.tableName(table).key(key(owner, name)).consistentRead(true)).item();
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(folder(item));
    }

    @Override
    public List<Folder> list(String owner) {
        List<Folder> out = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> from = start;
            QueryResponse r = dynamo.query(b -> b.tableName(table).keyConditionExpression("#owner = :owner")
                    .expressionAttributeNames(Map.of("#owner", "owner")).expressionAttributeValues(Map.of(":owner", s(owner)))
                    .exclusiveStartKey(from));
            r.items().forEach(i -> out.add(folder(i)));
            start = r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty() ? r.lastEvaluatedKey() : null;
        } while (start != null);
        return out;
    }

    @Override
    public boolean create(Folder folder) {
        try {
            dynamo.putItem(b -> b.tableName(table).item(item(folder)).conditionExpression(NAME_FREE)
                    .expressionAttributeNames(Map.of("#name", "name", "#status", "status"))
                    .expressionAttributeValues(Map.of(":deleteComplete", s(FolderStatus.DELETE_COMPLETE.wireName()))));
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    @Override
    public Optional<Folder> transition(String owner, String name, String folderId, Set<FolderStatus> from, FolderStatus to, String reason,
                                       Instant at) {
        Map<String, AttributeValue> values = new HashMap<>();
        values.put(":id", s(folderId));
        values.put(":to", s(to.wireName()));
        values.put(":change", AttributeValue.fromL(List.of(change(new FolderStatusChange(to, at, reason)))));
        List<String> allowed = new ArrayList<>();
        int i = 0;
        for (FolderStatus s : from) {
            values.put(":from" + i, s(s.wireName()));
            allowed.add(":from" + i);
            i++;
        }
        try {
            Map<String, AttributeValue> updated = dynamo.updateItem(b -> b.tableName(table).key(key(owner, name))
                    .updateExpression("SET #status = :to, history = list_append(history, :change)")
                    .conditionExpression("id = :id AND #status IN (" + String.join(", ", allowed) + ")")
                    .expressionAttributeNames(Map.of("#status", "status")).expressionAttributeValues(values)
                    .returnValues(ReturnValue.ALL_NEW)).attributes();
            return Optional.of(folder(updated));
        } catch (ConditionalCheckFailedException e) {
            return Optional.empty();
        }
    }

    @Override
    public RenameOutcome rename(Folder folder, String newName, Instant at) {
        Folder renamed = folder.withName(newName);
        Map<String, AttributeValue> newItem = item(renamed);
        List<AttributeValue> history = new ArrayList<>(newItem.get("history").l());
        history.add(change(new FolderStatusChange(folder.status(), at, "renamed from '" + folder.name() + "'")));
        newItem.put("history", AttributeValue.fromL(history));
        try {
            dynamo.transactWriteItems(b -> b.transactItems(
                    TransactWriteItem.builder().put(p -> p.tableName(table).item(newItem).conditionExpression(NAME_FREE)
                            .expressionAttributeNames(Map.of("#name", "name", "#status", "status"))
                            .expressionAttributeValues(Map.of(":deleteComplete", s(FolderStatus.DELETE_COMPLETE.wireName())))).build(),
                    TransactWriteItem.builder().delete(d -> d.tableName(table).key(key(folder.owner(), folder.name()))
                            .conditionExpression("id = :id AND #status = :ready")
                            .expressionAttributeNames(Map.of("#status", "status"))
                            .expressionAttributeValues(Map.of(":id", s(folder.id()), ":ready", s(FolderStatus.READY.wireName())))).build()));
            return RenameOutcome.RENAMED;
        } catch (TransactionCanceledException e) {
            List<CancellationReason> reasons = e.cancellationReasons();
            if (!reasons.isEmpty() && "ConditionalCheckFailed".equals(reasons.get(0).code())) {
                return RenameOutcome.NAME_TAKEN;
            }
            return RenameOutcome.NOT_READY;
        }
    }

    @Override
    public CloneStart startClone(Folder source, Folder target, BackgroundTask task) {
        Instant at = target.createdAt();
        try {
            dynamo.transactWriteItems(b -> b.transactItems(
                    TransactWriteItem.builder().put(p -> p.tableName(table).item(item(target)).conditionExpression(NAME_FREE)
                            .expressionAttributeNames(Map.of("#name", "name", "#status", "status"))
                            .expressionAttributeValues(Map.of(":deleteComplete", s(FolderStatus.DELETE_COMPLETE.wireName())))).build(),
                    TransactWriteItem.builder().update(u -> u.tableName(table).key(key(source.owner(), source.name()))
                            .updateExpression("SET #status = :performing, history = list_append(history, :change)")
                            .conditionExpression("id = :id AND #status = :ready AND cloneable = :true")
                            .expressionAttributeNames(Map.of("#status", "status"))
                            .expressionAttributeValues(Map.of(":id", s(source.id()), ":ready", s(FolderStatus.READY.wireName()),
                                    ":performing", s(FolderStatus.PERFORMING.wireName()), ":true", AttributeValue.fromBool(true),
                                    ":change", AttributeValue.fromL(List.of(change(new FolderStatusChange(FolderStatus.PERFORMING, at,
                                            "cloning to '" + target.name() + "'"))))))).build(),
                    TransactWriteItem.builder().put(p -> p.tableName(tasksTable).item(DynamoTaskStore.item(task))
                            .conditionExpression("attribute_not_exists(id)")).build()));
            return CloneStart.STARTED;
        } catch (TransactionCanceledException e) {
            List<CancellationReason> reasons = e.cancellationReasons();
            if (!reasons.isEmpty() && "ConditionalCheckFailed".equals(reasons.get(0).code())) {
                return CloneStart.TARGET_NAME_TAKEN;
            }
            return CloneStart.SOURCE_NOT_READY;
        }
    }

    /**
     * The claims live in the folders table under a partition of their own ({@code path-claims#<folder id>}, no user's
     * subject), one item per path with its kind and until when it holds. A claim of the same kind, or an expired one,
     * is overwritten; one of the other kind still live fails the transaction. A conflict with a concurrent transaction
     * on the same items is retried (a few times) so that it ends as one claim or the other, never as neither.
     */
    @Override
    public boolean claimFile(String folderId, String path, Instant until, Instant now) {
        List<TransactWriteItem> items = new ArrayList<>();
        items.add(claim(folderId, path, "file", until, now));
        for (int slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
            items.add(claim(folderId, path.substring(0, slash), "dir", until, now));
        }
        if (items.size() > MAX_CLAIM_DEPTH + 1) {
            throw new IllegalArgumentException("a claim of more than " + MAX_CLAIM_DEPTH + " directories");
        }
        for (int attempt = 1; ; attempt++) {
            try {
                dynamo.transactWriteItems(b -> b.transactItems(items));
                return true;
            } catch (TransactionCanceledException e) {
                boolean conditionFailed = e.cancellationReasons().stream().anyMatch(r -> "ConditionalCheckFailed".equals(r.code()));
                if (conditionFailed) {
                    return false;
                }
                if (attempt >= 5) {
                    throw e;
                }
                try {
                    Thread.sleep(20L * attempt);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private TransactWriteItem claim(String folderId, String path, String kind, Instant until, Instant now) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("owner", AttributeValue.fromS("path-claims#" + folderId));
        item.put("name", AttributeValue.fromS(path));
        item.put("kind", AttributeValue.fromS(kind));
        item.put("until", AttributeValue.fromN(Long.toString(until.getEpochSecond())));
        return TransactWriteItem.builder().put(p -> p.tableName(table).item(item)
                .conditionExpression("attribute_not_exists(#name) OR #kind = :kind OR #until < :now")
                .expressionAttributeNames(Map.of("#name", "name", "#kind", "kind", "#until", "until"))
                .expressionAttributeValues(Map.of(":kind", AttributeValue.fromS(kind),
                        ":now", AttributeValue.fromN(Long.toString(now.getEpochSecond())))))
                .build();
    }
}
