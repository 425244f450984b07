package dev.sluice.adapters.dynamodb;

import java.time.Clock;
import java.util.Optional;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbEnhancedClient;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbTable;
import software.amazon.awssdk.enhanced.dynamodb.Expression;
import software.amazon.awssdk.enhanced.dynamodb.Key;
import software.amazon.awssdk.enhanced.dynamodb.model.GetItemEnhancedRequest;
import software.amazon.awssdk.enhanced.dynamodb.model.PutItemEnhancedRequest;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;

/**
 * Idempotency-Key for the mutating calls other than session creation (which stores its key in the same transaction
 * as the session): the first successful answer is kept for a day and a retry with the same key and body gets it
 * again; the same key with another body is refused.
 */
public final class IdempotentResponses {
    private static final Expression NEW_KEY = Expression.builder()
            .expression("attribute_not_exists(#k)").putExpressionName("#k", "key").build();

    private final DynamoDbTable<IdempotencyItem> table;
    private final Clock clock;

    public IdempotentResponses(DynamoDbEnhancedClient client, String tableName, Clock clock) {
        this.table = client.table(tableName, IdempotencyItem.SCHEMA);
        this.clock = clock;
    }

    public record Stored(String fingerprint, int status, String body) {
    }

    public Optional<Stored> find(String scope, String key) {
        IdempotencyItem item = table.getItem(GetItemEnhancedRequest.builder()
                .key(Key.builder().partitionValue(scope + "#" + key).build()).consistentRead(true).build());
        if (item == null || item.getResponseStatus() == null) {
            return Optional.empty();
        }
        return Optional.of(new Stored(item.getFingerprint(), item.getResponseStatus(), item.getResponseBody()));
    }

    /** Keeps the answer unless a concurrent retry kept its own first. */
    public void remember(String scope, String key, Stored answer) {
        IdempotencyItem item = new IdempotencyItem();
        item.setKey(scope + "#" + key);
        item.setFingerprint(answer.fingerprint());
        item.setResponseStatus(answer.status());
        item.setResponseBody(answer.body());
        item.setExpiresAt(clock.instant().plus(DynamoSessionStore.IDEMPOTENCY_TTL).getEpochSecond());
        try {
            table.putItem(PutItemEnhancedRequest.builder(IdempotencyItem.class).item(item).conditionExpression(NEW_KEY).build());
        } catch (ConditionalCheckFailedException alreadyKept) {
            // the first answer stays the answer
        }
    }
}
