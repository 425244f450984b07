package dev.sluice.adapters.dynamodb;

import dev.sluice.core.port.SessionStore;
import dev.sluice.core.session.IllegalTransitionException;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.session.SessionTransitions;
import java.time.Clock;
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

    public DynamoSessionStore(DynamoDbEnhancedClient client, String sessionsTable, String idempotencyTable, Clock clock) {
        this.client = client;
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
        try {
            sessions.putItem(PutItemEnhancedRequest.builder(SessionItem.class)
                    .item(SessionItem.from(updated)).conditionExpression(unchanged).build());
            return new SaveOutcome.Saved(updated);
        } catch (ConditionalCheckFailedException e) {
            return new SaveOutcome.Conflict(find(updated.id()));
        }
    }
}
