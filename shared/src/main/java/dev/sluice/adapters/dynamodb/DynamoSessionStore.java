package dev.sluice.adapters.dynamodb;

import dev.sluice.core.port.SessionStore;
import dev.sluice.core.session.IllegalTransitionException;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.session.SessionTransitions;
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

    public DynamoSessionStore(DynamoDbEnhancedClient client, software.amazon.awssdk.services.dynamodb.DynamoDbClient dynamoDb,
                              String sessionsTable, String idempotencyTable, String agentsTable, Clock clock) {
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
            boolean open = !query.statuses().isEmpty() && query.statuses().stream().noneMatch(SessionStatus::isFinal);
            String attribute = open ? "openOwner" : "owner";
            if (start != null && (!start.key().containsKey(attribute) || !start.key().get(attribute).s().equals(query.owner().get()))) {
                throw DomainException.invalid("cursor", "belongs to another listing");
            }
            return collect(open ? SessionItem.OPEN_BY_OWNER : SessionItem.BY_OWNER, attribute, query.owner().get(), query, filter, start, found);
        }
        if (start != null && !start.key().containsKey("createdMonth")) {
            throw DomainException.invalid("cursor", "belongs to another listing");
        }
        // Every owner: walk the monthly partitions from the newest (or the oldest) month.
        YearMonth first = YearMonth.from(notBefore.atZone(ZoneOffset.UTC));
        YearMonth last = YearMonth.from(clock.instant().atZone(ZoneOffset.UTC));
        YearMonth month;
        try {
            month = start != null ? YearMonth.parse(start.partition()) : (query.newestFirst() ? last : first);
        } catch (java.time.format.DateTimeParseException e) {
            throw DomainException.invalid("cursor", "is not a cursor this API returned");
        }
        while (!month.isBefore(first) && !month.isAfter(last)) {
            Page<Session> page = collect(SessionItem.BY_MONTH, "createdMonth", month.toString(), query, filter, start, found);
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
     * Writes the session (conditional on status and sequence) and gives the slots of its still-reserved kernels back to
     * their agents, in one transaction: the kernels are stored as released, so no later change releases them twice.
     */
    @Override
    public SaveOutcome saveAndRelease(Session updated, SessionStatus expectedStatus, long expectedSequence) {
        return release(updated, expectedStatus, expectedSequence, null, null);
    }

    @Override
    public SaveOutcome resolveLost(Session updated, SessionStatus expectedStatus, long expectedSequence, String lostAgent,
                                   Instant lastSeen) {
        return release(updated, expectedStatus, expectedSequence, lostAgent, lastSeen);
    }

    private SaveOutcome release(Session updated, SessionStatus expectedStatus, long expectedSequence, String lostAgent,
                                Instant lastSeen) {
        if (updated.status() != expectedStatus && !SessionTransitions.isAllowed(expectedStatus, updated.status())) {
            throw new IllegalTransitionException(updated.id(), expectedStatus, updated.status());
        }
        // Every write moves the sequence on, so a writer that read the kernels still reserved cannot release them again.
        Session stored = (updated.sequence() == expectedSequence ? updated.nextSequence() : updated).withKernelsReleased();
        List<software.amazon.awssdk.services.dynamodb.model.TransactWriteItem> items =
                releaseItems(sessionsTable, agentsTable, updated, stored, expectedStatus, expectedSequence, lostAgent, lastSeen);
        try {
            dynamoDb.transactWriteItems(b -> b.transactItems(items));
            return new SaveOutcome.Saved(stored);
        } catch (TransactionCanceledException e) {
            return new SaveOutcome.Conflict(find(updated.id()));
        }
    }

    /**
     * The items of a release's transaction: the session, each still-reserved kernel's release on its agent, and the
     * deletes of the further kernels' pointers.
     */
    static List<software.amazon.awssdk.services.dynamodb.model.TransactWriteItem> releaseItems(String sessionsTable, String agentsTable,
            Session updated, Session stored, SessionStatus expectedStatus, long expectedSequence, String lostAgent, Instant lastSeen) {
        List<software.amazon.awssdk.services.dynamodb.model.TransactWriteItem> items = new ArrayList<>();
        items.add(software.amazon.awssdk.services.dynamodb.model.TransactWriteItem.builder()
                .put(DynamoPlacements.sessionPut(sessionsTable, stored, expectedStatus.name(), expectedSequence)).build());
        for (dev.sluice.core.session.Kernel k : updated.unreleasedKernels()) {
            items.add(lostAgent != null && k.agentId().equals(lostAgent)
                    ? AgentReservations.releaseFromLost(agentsTable, k, lastSeen)
                    : AgentReservations.release(agentsTable, k));
        }
        items.addAll(KernelPointers.deletes(sessionsTable, updated));
        return items;
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
        java.util.Set<SessionStatus> occupying = java.util.EnumSet.noneOf(SessionStatus.class);
        for (SessionStatus st : SessionStatus.values()) {
            if (st.occupiesSlots()) {
                occupying.add(st);
            }
        }
        List<Session> held = new ArrayList<>();
        eachOf(owner, occupying, held::add);
        return new dev.sluice.core.scheduler.Usage(held.size(),
                held.stream().map(Session::occupiedSlots).reduce(dev.sluice.core.slots.ResourceSlots.EMPTY, dev.sluice.core.slots.ResourceSlots::add),
                0, dev.sluice.core.slots.ResourceSlots.EMPTY);
    }

    @Override
    public int sessionsAhead(Session pending) {
        String mine = SessionItem.queueKey(pending.spec().priority(), pending.createdAt(), pending.id());
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

    @Override
    public SaveOutcome save(Session updated, SessionStatus expectedStatus, long expectedSequence) {
        if (updated.status() != expectedStatus && !SessionTransitions.isAllowed(expectedStatus, updated.status())) {
            throw new IllegalTransitionException(updated.id(), expectedStatus, updated.status());
        }
        Expression unchanged = Expression.builder()
                .expression("#status = :status AND #seq = :seq")
                .putExpressionName("#status", "status")
                .putExpressionName("#seq", "sequence")
                .expressionValues(Map.of(
                        ":status", AttributeValue.fromS(expectedStatus.name()),
                        ":seq", AttributeValue.fromN(Long.toString(expectedSequence))))
                .build();
        if (expectedStatus.occupiesSlots() && !updated.status().occupiesSlots() && !updated.unreleasedKernels().isEmpty()) {
            return saveAndRelease(updated, expectedStatus, expectedSequence);
        }
        try {
            sessions.putItem(PutItemEnhancedRequest.builder(SessionItem.class)
                    .item(SessionItem.from(updated)).conditionExpression(unchanged).build());
            return new SaveOutcome.Saved(updated);
        } catch (ConditionalCheckFailedException e) {
            return new SaveOutcome.Conflict(find(updated.id()));
        }
    }
}
