package dev.sluice.adapters.dynamodb;

import dev.sluice.core.port.SessionStore;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.session.SessionChange;
import dev.sluice.core.session.SessionBatch;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.port.Page;
import dev.sluice.core.session.SessionQuery;
import java.time.Clock;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.time.Duration;
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
import software.amazon.awssdk.enhanced.dynamodb.model.QueryEnhancedRequest;
import software.amazon.awssdk.enhanced.dynamodb.model.TransactPutItemEnhancedRequest;
import software.amazon.awssdk.enhanced.dynamodb.model.TransactWriteItemsEnhancedRequest;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;

/** Sessions in DynamoDB: creation with its idempotency key in one transaction, changes guarded by the sequence. */
public final class DynamoSessionStore implements SessionStore {
    static final Duration IDEMPOTENCY_TTL = Duration.ofHours(24);
    private static final Expression NEW_SESSION = Expression.builder().expression("attribute_not_exists(id)").build();
    private static final Expression NEW_KEY = Expression.builder()
            .expression("attribute_not_exists(#k)").putExpressionName("#k", "key").build();

    private final DynamoDbEnhancedClient client;
    private final DynamoDbTable<SessionItem> sessions;
    private final DynamoDbTable<IdempotencyItem> keys;
    private final Clock clock;
    private final software.amazon.awssdk.services.dynamodb.DynamoDbClient dynamoDb;
    private final String sessionsTable;
    private final String agentsTable;
    private final ListingIndexes listing;

    /**
     * Which indexes the listings read: {@link #KEYS_ONLY} (the default: {@code by-owner-keys}, {@code open-by-owner-keys},
     * {@code by-month-keys} project keys only, the sessions are read by BatchGetItem) or {@link #WHOLE_ITEMS} (the
     * {@code by-owner}, {@code open-by-owner}, {@code by-month} indexes of a stack not moved over yet, which project
     * the whole item). The template's {@code SessionListingIndexes} sets it ({@code SESSION_LISTING_INDEXES}).
     */
    public enum ListingIndexes {
        KEYS_ONLY, WHOLE_ITEMS;

        /** {@code keys} (or nothing) or {@code all}. */
        public static ListingIndexes fromEnvironment(String value) {
            if (value == null || value.isBlank() || value.strip().equals("keys")) {
                return KEYS_ONLY;
            }
            if (value.strip().equals("all")) {
                return WHOLE_ITEMS;
            }
            throw new IllegalArgumentException("SESSION_LISTING_INDEXES must be keys or all, not '" + value + "'");
        }
    }

    public static final ListingIndexes KEYS_ONLY = ListingIndexes.KEYS_ONLY;
    public static final ListingIndexes WHOLE_ITEMS = ListingIndexes.WHOLE_ITEMS;

    public DynamoSessionStore(DynamoDbEnhancedClient client, software.amazon.awssdk.services.dynamodb.DynamoDbClient dynamoDb,
                              String sessionsTable, String idempotencyTable, String agentsTable, Clock clock) {
        this(client, dynamoDb, sessionsTable, idempotencyTable, agentsTable, clock, KEYS_ONLY);
    }

    public DynamoSessionStore(DynamoDbEnhancedClient client, software.amazon.awssdk.services.dynamodb.DynamoDbClient dynamoDb,
                              String sessionsTable, String idempotencyTable, String agentsTable, Clock clock, ListingIndexes listing) {
        this.listing = listing;
        this.client = client;
        this.dynamoDb = dynamoDb;
        this.sessionsTable = sessionsTable;
        this.agentsTable = agentsTable;
        this.sessions = client.table(sessionsTable, SessionItem.SCHEMA);
        this.keys = client.table(idempotencyTable, IdempotencyItem.SCHEMA);
        this.clock = clock;
    }

    @Override
    public CreateOutcome create(Session session, Optional<IdempotencyClaim> claim) {
        SessionItem item = SessionItem.from(session);
        if (claim.isEmpty()) {
            sessions.putItem(PutItemEnhancedRequest.builder(SessionItem.class).item(item).conditionExpression(NEW_SESSION).build());
            return new CreateOutcome.Created(session);
        }
        IdempotencyItem key = new IdempotencyItem();
        key.setKey(claimKey(claim.get()));
        key.setFingerprint(claim.get().fingerprint());
        key.setResultId(session.id());
        key.setExpiresAt(clock.instant().plus(IDEMPOTENCY_TTL).getEpochSecond());
        try {
            client.transactWriteItems(TransactWriteItemsEnhancedRequest.builder()
                    .addPutItem(keys, TransactPutItemEnhancedRequest.builder(IdempotencyItem.class)
                            .item(key).conditionExpression(NEW_KEY).build())
                    .addPutItem(sessions, TransactPutItemEnhancedRequest.builder(SessionItem.class)
                            .item(item).conditionExpression(NEW_SESSION).build())
                    .build());
            return new CreateOutcome.Created(session);
        } catch (TransactionCanceledException e) {
            List<CancellationReason> reasons = e.cancellationReasons();
            boolean keyTaken = !reasons.isEmpty() && "ConditionalCheckFailed".equals(reasons.get(0).code());
            if (!keyTaken) {
                throw e;
            }
            IdempotencyItem first = keys.getItem(GetItemEnhancedRequest.builder()
                    .key(Key.builder().partitionValue(claimKey(claim.get())).build()).consistentRead(true).build());
            if (first == null || !first.getFingerprint().equals(claim.get().fingerprint())) {
                return new CreateOutcome.KeyReused(claim.get().key());
            }
            return find(first.getResultId())
                    .<CreateOutcome>map(CreateOutcome.Replayed::new)
                    .orElseThrow(() -> new IllegalStateException("idempotency key points at missing session " + first.getResultId()));
        }
    }

    private static String claimKey(IdempotencyClaim claim) {
        return claim.scope() + "#" + claim.key();
    }

    @Override
    public Optional<Session> find(String id) {
        SessionItem item = sessions.getItem(GetItemEnhancedRequest.builder()
                .key(Key.builder().partitionValue(id).build()).consistentRead(true).build());
        return Optional.ofNullable(item).map(SessionItem::toSession);
    }

    @Override
    public Page<Session> list(SessionQuery query, Instant notBefore) {
        SessionCursor start = query.cursor().map(SessionCursor::decode).orElse(null);
        Expression filter = filterOf(query);
        List<Session> found = new ArrayList<>();
        if (query.owner().isPresent()) {
            // Asked only for statuses that are not final, the sparse index holds no more than the owner's open sessions.
            boolean open = !query.statuses().isEmpty() && SessionStatus.OPEN.containsAll(query.statuses());
            String attribute = open ? "openOwner" : "owner";
            if (start != null && (!start.key().containsKey(attribute) || !start.key().get(attribute).s().equals(query.owner().get()))) {
                throw new Page.UnknownCursor("belongs to another listing");
            }
            if (listing == KEYS_ONLY) {
                return collectKeys(open ? SessionItem.OPEN_BY_OWNER_KEYS : SessionItem.BY_OWNER_KEYS, attribute, query.owner().get(), query,
                        start, found);
            }
            return collect(open ? SessionItem.OPEN_BY_OWNER : SessionItem.BY_OWNER, attribute, query.owner().get(), query, filter, start, found);
        }
        if (start != null && !start.key().containsKey("createdMonth")) {
            throw new Page.UnknownCursor("belongs to another listing");
        }
        // Every owner: walk the monthly partitions from the newest (or the oldest) month.
        YearMonth first = YearMonth.from(notBefore.atZone(ZoneOffset.UTC));
        YearMonth last = YearMonth.from(clock.instant().atZone(ZoneOffset.UTC));
        YearMonth month;
        try {
            month = start != null ? YearMonth.parse(start.partition()) : (query.newestFirst() ? last : first);
        } catch (java.time.format.DateTimeParseException e) {
            throw new Page.UnknownCursor("is not a cursor this API returned");
        }
        while (!month.isBefore(first) && !month.isAfter(last)) {
            Page<Session> page = listing == KEYS_ONLY
                    ? collectKeys(SessionItem.BY_MONTH_KEYS, "createdMonth", month.toString(), query, start, found)
                    : collect(SessionItem.BY_MONTH, "createdMonth", month.toString(), query, filter, start, found);
            if (page.nextCursor().isPresent()) {
                return page;
            }
            start = null;
            month = query.newestFirst() ? month.minusMonths(1) : month.plusMonths(1);
        }
        return new Page<>(found, Optional.empty());
    }

    /**
     * Adds matching sessions of one index partition to {@code found} until the page is full. The cursor names the
     * last session returned, so the next page starts right after it even when the page ends mid-query.
     */
    private Page<Session> collect(String index, String partitionAttribute, String partition, SessionQuery query,
                                  Expression filter, SessionCursor start, List<Session> found) {
        Map<String, AttributeValue> exclusiveStart = start == null ? null : start.key();
        do {
            QueryEnhancedRequest.Builder request = QueryEnhancedRequest.builder()
                    .queryConditional(QueryConditional.keyEqualTo(Key.builder().partitionValue(partition).build()))
                    .scanIndexForward(!query.newestFirst())
                    .limit(Math.min(100, query.limit() - found.size() + 1))
                    .exclusiveStartKey(exclusiveStart);
            if (filter != null) {
                request.filterExpression(filter);
            }
            software.amazon.awssdk.enhanced.dynamodb.model.Page<SessionItem> page =
                    sessions.index(index).query(request.build()).iterator().next();
            for (SessionItem item : page.items()) {
                if (found.size() == query.limit()) {
                    SessionItem lastItem = SessionItem.from(found.get(found.size() - 1));
                    return new Page<>(found, Optional.of(new SessionCursor(partition, Map.of(
                            "id", AttributeValue.fromS(lastItem.getId()),
                            partitionAttribute, AttributeValue.fromS(partition),
                            "createdKey", AttributeValue.fromS(lastItem.getCreatedKey()))).encode()));
                }
                found.add(item.toSession());
            }
            exclusiveStart = page.lastEvaluatedKey();
        } while (exclusiveStart != null && !exclusiveStart.isEmpty());
        return new Page<>(found, Optional.empty());
    }

    /**
     * {@link #collect} over an index that projects keys only: each page of keys is read by BatchGetItem (in the index's
     * order) and filtered here, as the filter expression did on the whole-item index (a filter on a KEYS_ONLY index
     * would see no status, group or name). The same page size, the same look-ahead of one, the same cursor.
     */
    private Page<Session> collectKeys(String index, String partitionAttribute, String partition, SessionQuery query,
                                      SessionCursor start, List<Session> found) {
        Map<String, AttributeValue> exclusiveStart = start == null ? null : start.key();
        do {
            software.amazon.awssdk.services.dynamodb.model.QueryRequest.Builder q =
                    software.amazon.awssdk.services.dynamodb.model.QueryRequest.builder()
                            .tableName(sessionsTable).indexName(index)
                            .keyConditionExpression("#p = :p")
                            .expressionAttributeNames(Map.of("#p", partitionAttribute))
                            .expressionAttributeValues(Map.of(":p", AttributeValue.fromS(partition)))
                            .scanIndexForward(!query.newestFirst())
                            .limit(Math.min(100, query.limit() - found.size() + 1));
            if (exclusiveStart != null) {
                q.exclusiveStartKey(exclusiveStart);
            }
            var page = dynamoDb.query(q.build());
            List<String> ids = page.items().stream().map(k -> k.get("id").s()).toList();
            Map<String, Map<String, AttributeValue>> items = BatchReads.byId(sessionsTable, ids, dynamoDb::batchGetItem, BatchReads::pause);
            for (String id : ids) {
                Map<String, AttributeValue> item = items.get(id);
                if (item == null) {
                    continue; // not in the table (any more): the index lags behind it
                }
                Session s = SessionItem.SCHEMA.mapToItem(item).toSession();
                if (!matches(query, s)) {
                    continue;
                }
                if (found.size() == query.limit()) {
                    SessionItem lastItem = SessionItem.from(found.get(found.size() - 1));
                    return new Page<>(found, Optional.of(new SessionCursor(partition, Map.of(
                            "id", AttributeValue.fromS(lastItem.getId()),
                            partitionAttribute, AttributeValue.fromS(partition),
                            "createdKey", AttributeValue.fromS(lastItem.getCreatedKey()))).encode()));
                }
                found.add(s);
            }
            exclusiveStart = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (exclusiveStart != null);
        return new Page<>(found, Optional.empty());
    }

    /** What {@link #filterOf} asks DynamoDB, asked of a session read whole. */
    static boolean matches(SessionQuery query, Session s) {
        return (query.statuses().isEmpty() || query.statuses().contains(s.status()))
                && query.resourceGroup().map(g -> g.equals(s.resourceGroup())).orElse(true)
                && query.name().map(n -> s.spec().name().filter(n::equals).isPresent()).orElse(true);
    }

    /**
     * The one write of a stored session: a change with nothing but the session is one conditional PutItem; one that
     * also reserves or releases slots, or writes pointers, is one TransactWriteItems. Either way the session item
     * holds only if it is still in the expected status at the expected sequence; any failed condition is a conflict.
     */
    @Override
    public SaveOutcome apply(SessionChange change) {
        Session next = change.next();
        if (change.items() == 1) {
            try {
                dynamoDb.putItem(putRequest(change));
                return new SaveOutcome.Saved(next);
            } catch (ConditionalCheckFailedException e) {
                return new SaveOutcome.Conflict(find(next.id()));
            }
        }
        List<TransactWriteItem> items = items(sessionsTable, agentsTable, change);
        if (items.size() > SessionChange.MAX_TRANSACTION_ITEMS) {
            // The planner never plans such a placement (SessionSpec refuses such sessions); DynamoDB would refuse it.
            throw new IllegalArgumentException("a change of " + change.agentSlots().size() + " kernels needs " + items.size()
                    + " transaction items; at most " + SessionChange.MAX_TRANSACTION_ITEMS + " fit");
        }
        try {
            dynamoDb.transactWriteItems(b -> b.transactItems(items));
            return new SaveOutcome.Saved(next);
        } catch (TransactionCanceledException e) {
            return new SaveOutcome.Conflict(find(next.id()));
        }
    }

    @Override
    public boolean appliesBatches() {
        return true;
    }

    /**
     * A batch as one TransactWriteItems ({@link #items(String, String, SessionBatch)}); a batch of one change is
     * {@link #apply}. Any failed condition cancels the whole transaction: nothing is written.
     */
    @Override
    public BatchOutcome applyAll(SessionBatch batch) {
        if (batch.changes().size() == 1) {
            return apply(batch.changes().get(0)) instanceof SaveOutcome.Saved saved
                    ? new BatchOutcome.Saved(List.of(saved.session())) : new BatchOutcome.Conflict();
        }
        List<TransactWriteItem> items = items(sessionsTable, agentsTable, batch);
        if (items.size() > SessionChange.MAX_TRANSACTION_ITEMS) {
            throw new IllegalArgumentException("a batch of " + batch.changes().size() + " changes needs " + items.size()
                    + " transaction items; at most " + SessionChange.MAX_TRANSACTION_ITEMS + " fit");
        }
        try {
            dynamoDb.transactWriteItems(b -> b.transactItems(items));
            return new BatchOutcome.Saved(batch.changes().stream().map(SessionChange::next).toList());
        } catch (TransactionCanceledException e) {
            return new BatchOutcome.Conflict();
        }
    }

    /**
     * The items of a batch's transaction: each session's put, one update (or check) per agent for the sum of the
     * batch's slots on it, each pointer and each kept output.
     */
    public static List<TransactWriteItem> items(String sessionsTable, String agentsTable, SessionBatch batch) {
        List<TransactWriteItem> items = new ArrayList<>();
        for (SessionChange change : batch.changes()) {
            items.add(TransactWriteItem.builder().put(sessionPut(sessionsTable, change)).build());
        }
        for (SessionChange.AgentSlots a : batch.agentSlots()) {
            items.add(AgentReservations.of(agentsTable, a));
        }
        for (SessionChange change : batch.changes()) {
            for (SessionChange.Pointer p : change.pointers()) {
                items.add(KernelPointers.of(sessionsTable, p));
            }
            change.output().ifPresent(text -> items.add(outputPut(sessionsTable, change, text)));
        }
        return items;
    }

    /**
     * What DynamoDB counts of a change against a transaction's 4 MB: the session item and its kept output as written
     * (attribute names and values), and for each agent and pointer item a bound ({@link #OTHER_ITEM_BYTES}: an
     * agent's item, updated in place, is counted whole).
     */
    @Override
    public long writeBytes(SessionChange change) {
        long bytes = ItemSizes.of(SessionItem.SCHEMA.itemToMap(SessionItem.from(change.next()), true));
        if (change.output().isPresent()) {
            bytes += ItemSizes.of(SessionOutputs.item(change.next().id(), change.output().get(),
                    change.next().terminatedAt().orElse(change.next().createdAt())));
        }
        return bytes + (long) (change.agentSlots().size() + change.pointers().size()) * OTHER_ITEM_BYTES;
    }

    /** A bound on an agent's or a pointer's item (an agent's holds its slots, labels and heartbeat: well under this). */
    static final long OTHER_ITEM_BYTES = 16 * 1024;

    private PutItemRequest putRequest(SessionChange change) {
        Put put = sessionPut(sessionsTable, change);
        return PutItemRequest.builder().tableName(put.tableName()).item(put.item()).conditionExpression(put.conditionExpression())
                .expressionAttributeNames(put.expressionAttributeNames()).expressionAttributeValues(put.expressionAttributeValues()).build();
    }

    /**
     * The items of a change's transaction: the session, each kernel's reservation or release on its agent, each
     * further kernel's pointer put or delete.
     */
    public static List<TransactWriteItem> items(String sessionsTable, String agentsTable, SessionChange change) {
        List<TransactWriteItem> items = new ArrayList<>();
        items.add(TransactWriteItem.builder().put(sessionPut(sessionsTable, change)).build());
        for (SessionChange.AgentSlots a : change.agentSlots()) {
            items.add(AgentReservations.of(agentsTable, a));
        }
        for (SessionChange.Pointer p : change.pointers()) {
            items.add(KernelPointers.of(sessionsTable, p));
        }
        change.output().ifPresent(text -> items.add(outputPut(sessionsTable, change, text)));
        return items;
    }

    private static TransactWriteItem outputPut(String sessionsTable, SessionChange change, String text) {
        return TransactWriteItem.builder().put(Put.builder().tableName(sessionsTable)
                .item(SessionOutputs.item(change.next().id(), text, change.next().terminatedAt().orElse(change.next().createdAt())))
                .build()).build();
    }

    @Override
    public Optional<String> storedOutput(String sessionId) {
        Map<String, AttributeValue> item = dynamoDb.getItem(b -> b.tableName(sessionsTable)
                .key(Map.of("id", AttributeValue.fromS(SessionOutputs.id(sessionId)))).consistentRead(true)).item();
        return SessionOutputs.text(item);
    }

    /** A put of the session that holds only if the stored one is still in the expected status at the expected sequence. */
    private static Put sessionPut(String table, SessionChange change) {
        return Put.builder()
                .tableName(table)
                .item(SessionItem.SCHEMA.itemToMap(SessionItem.from(change.next()), true))
                .conditionExpression("#status = :status AND #seq = :seq")
                .expressionAttributeNames(Map.of("#status", "status", "#seq", "sequence"))
                .expressionAttributeValues(Map.of(":status", AttributeValue.fromS(change.expectedStatus().name()),
                        ":seq", AttributeValue.fromN(Long.toString(change.expectedSequence()))))
                .build();
    }

    @Override
    public List<Session> onAgent(String agentId) {
        List<Session> found = new ArrayList<>();
        Map<String, AttributeValue> start = null;
        do {
            software.amazon.awssdk.services.dynamodb.model.QueryRequest.Builder q =
                    software.amazon.awssdk.services.dynamodb.model.QueryRequest.builder()
                            .tableName(sessionsTable).indexName(SessionItem.BY_AGENT)
                            .keyConditionExpression("hostingAgent = :a")
                            .expressionAttributeValues(Map.of(":a", AttributeValue.fromS(agentId)));
            if (start != null) {
                q.exclusiveStartKey(start);
            }
            var page = dynamoDb.query(q.build());
            for (Map<String, AttributeValue> item : page.items()) {
                if (item.containsKey(KernelPointers.KERNEL_OF)) {
                    // a further kernel of a multi-node session: the session itself is keyed by its first agent
                    find(item.get(KernelPointers.KERNEL_OF).s()).ifPresent(found::add);
                } else {
                    found.add(SessionItem.SCHEMA.mapToItem(item).toSession());
                }
            }
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null);
        return found;
    }

    private static Expression filterOf(SessionQuery query) {
        List<String> clauses = new ArrayList<>();
        Expression.Builder b = Expression.builder();
        if (!query.statuses().isEmpty()) {
            List<String> names = new ArrayList<>();
            int i = 0;
            for (SessionStatus status : query.statuses()) {
                names.add(":s" + i);
                b.putExpressionValue(":s" + i, AttributeValue.fromS(status.name()));
                i++;
            }
            b.putExpressionName("#status", "status");
            clauses.add("#status IN (" + String.join(", ", names) + ")");
        }
        query.resourceGroup().ifPresent(g -> {
            b.putExpressionName("#group", "resourceGroup").putExpressionValue(":group", AttributeValue.fromS(g));
            clauses.add("#group = :group");
        });
        query.name().ifPresent(n -> {
            b.putExpressionName("#name", "name").putExpressionValue(":name", AttributeValue.fromS(n));
            clauses.add("#name = :name");
        });
        return clauses.isEmpty() ? null : b.expression(String.join(" AND ", clauses)).build();
    }

    @Override
    public dev.sluice.core.scheduler.Usage usageOf(String owner) {
        List<Session> held = new ArrayList<>();
        eachOf(owner, SessionStatus.OCCUPYING, held::add);
        return new dev.sluice.core.scheduler.Usage(held.size(),
                held.stream().map(Session::occupiedSlots).reduce(dev.sluice.core.slots.ResourceSlots.EMPTY, dev.sluice.core.slots.ResourceSlots::add),
                0, dev.sluice.core.slots.ResourceSlots.EMPTY);
    }

    @Override
    public int sessionsAhead(Session pending) {
        String mine = SessionItem.queueKey(pending);
        int ahead = 0;
        Map<String, AttributeValue> start = null;
        do {
            software.amazon.awssdk.services.dynamodb.model.QueryRequest.Builder q =
                    software.amazon.awssdk.services.dynamodb.model.QueryRequest.builder()
                            .tableName(sessionsTable).indexName(SessionItem.PENDING_QUEUE).select("COUNT")
                            .keyConditionExpression("#g = :g AND #q < :q")
                            .expressionAttributeNames(Map.of("#g", "pendingGroup", "#q", "queueKey"))
                            .expressionAttributeValues(Map.of(":g", AttributeValue.fromS(pending.resourceGroup()), ":q", AttributeValue.fromS(mine)));
            if (start != null) {
                q.exclusiveStartKey(start);
            }
            var page = dynamoDb.query(q.build());
            ahead += page.count();
            start = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty() ? page.lastEvaluatedKey() : null;
        } while (start != null);
        return ahead;
    }

    /** One key of the sparse pending queue at most: half a read unit, whatever the queue holds. */
    @Override
    public boolean anyPendingIn(String resourceGroup) {
        return dynamoDb.query(q -> q.tableName(sessionsTable).indexName(SessionItem.PENDING_QUEUE).select("COUNT").limit(1)
                .keyConditionExpression("#g = :g").expressionAttributeNames(Map.of("#g", "pendingGroup"))
                .expressionAttributeValues(Map.of(":g", AttributeValue.fromS(resourceGroup)))).count() > 0;
    }

    @Override
    public List<Session> pendingIn(String resourceGroup) {
        return sessions.index(SessionItem.PENDING_QUEUE)
                .query(QueryEnhancedRequest.builder()
                        .queryConditional(QueryConditional.keyEqualTo(Key.builder().partitionValue(resourceGroup).build()))
                        .build())
                .stream()
                .flatMap(page -> page.items().stream())
                .map(SessionItem::toSession)
                .toList();
    }
}
