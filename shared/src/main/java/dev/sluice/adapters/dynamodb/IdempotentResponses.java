package dev.sluice.adapters.dynamodb;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbEnhancedClient;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbTable;
import software.amazon.awssdk.enhanced.dynamodb.Expression;
import software.amazon.awssdk.enhanced.dynamodb.Key;
import software.amazon.awssdk.enhanced.dynamodb.model.DeleteItemEnhancedRequest;
import software.amazon.awssdk.enhanced.dynamodb.model.GetItemEnhancedRequest;
import software.amazon.awssdk.enhanced.dynamodb.model.PutItemEnhancedRequest;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;

/**
 * Idempotency-Key for the mutating calls other than session creation (which stores its key in the same transaction
 * as the session). The key is claimed with a conditional write before the call runs, so of two racing requests with
 * one key exactly one runs; the other sees the claim and waits for its answer. The first successful answer is kept for
 * a day and a retry with the same key and body gets it again; the same key with another body is refused. A call that
 * fails gives its claim back (only success is remembered), and a claim older than {@link #CLAIM_LEASE} (longer than
 * any API function runs) is taken over: its holder died.
 */
public final class IdempotentResponses {
    public static final Duration CLAIM_LEASE = Duration.ofSeconds(60);
    private static final Expression NEW_KEY = Expression.builder()
            .expression("attribute_not_exists(#k)").putExpressionName("#k", "key").build();

    private final DynamoDbTable<IdempotencyItem> table;
    private final Clock clock;

    private final dev.sluice.core.port.IdGenerator ids;

    /** {@code ids} makes the claim tokens (the wiring root's id generator). */
    public IdempotentResponses(DynamoDbEnhancedClient client, String tableName, Clock clock, dev.sluice.core.port.IdGenerator ids) {
        this.table = client.table(tableName, IdempotencyItem.SCHEMA);
        this.clock = clock;
        this.ids = ids;
    }

    public record Stored(String fingerprint, int status, String body) {
    }

    /** What claiming a key found. */
    public sealed interface Claim {
        /** This request holds the key: run the call, then {@link #complete} or {@link #release}. */
        record Claimed(String token) implements Claim {
        }

        /** An earlier request with this key succeeded: its answer. */
        record Answered(Stored answer) implements Claim {
        }

        /** Another request with this key is running now, for this request body or ({@code sameRequest} false) another. */
        record InProgress(boolean sameRequest) implements Claim {
        }
    }

    public Claim claim(String scope, String key, String fingerprint) {
        IdempotencyItem item = new IdempotencyItem();
        item.setKey(scope + "#" + key);
        item.setFingerprint(fingerprint);
        item.setClaimToken(ids.newId());
        item.setClaimedAt(clock.millis());
        item.setExpiresAt(clock.instant().plus(DynamoSessionStore.IDEMPOTENCY_TTL).getEpochSecond());
        try {
            table.putItem(PutItemEnhancedRequest.builder(IdempotencyItem.class).item(item).conditionExpression(NEW_KEY).build());
            return new Claim.Claimed(item.getClaimToken());
        } catch (ConditionalCheckFailedException taken) {
            IdempotencyItem existing = read(scope, key);
            if (existing == null) {
                return claim(scope, key, fingerprint); // it expired or was given back meanwhile
            }
            if (existing.getResponseStatus() != null) {
                return new Claim.Answered(new Stored(existing.getFingerprint(), existing.getResponseStatus(), existing.getResponseBody()));
            }
            boolean stale = existing.getClaimedAt() == null || existing.getClaimedAt() + CLAIM_LEASE.toMillis() < clock.millis();
            if (stale && takeOver(item, existing)) {
                return new Claim.Claimed(item.getClaimToken());
            }
            return new Claim.InProgress(fingerprint.equals(existing.getFingerprint()));
        }
    }

    /** The answer kept for the key, if the request that holds it has finished. */
    public Optional<Stored> find(String scope, String key) {
        IdempotencyItem item = read(scope, key);
        if (item == null || item.getResponseStatus() == null) {
            return Optional.empty();
        }
        return Optional.of(new Stored(item.getFingerprint(), item.getResponseStatus(), item.getResponseBody()));
    }

    /** Keeps the successful answer of the call that holds the claim. */
    public void complete(String scope, String key, String token, Stored answer) {
        IdempotencyItem item = new IdempotencyItem();
        item.setKey(scope + "#" + key);
        item.setFingerprint(answer.fingerprint());
        item.setResponseStatus(answer.status());
        item.setResponseBody(answer.body());
        item.setExpiresAt(clock.instant().plus(DynamoSessionStore.IDEMPOTENCY_TTL).getEpochSecond());
        try {
            table.putItem(PutItemEnhancedRequest.builder(IdempotencyItem.class).item(item).conditionExpression(heldBy(token)).build());
        } catch (ConditionalCheckFailedException lost) {
            // the claim was taken over after the lease: the taker's answer stands
        }
    }

    /** Gives the claim back after a failed call, so that a retry runs the call again. */
    public void release(String scope, String key, String token) {
        try {
            table.deleteItem(DeleteItemEnhancedRequest.builder().key(Key.builder().partitionValue(scope + "#" + key).build())
                    .conditionExpression(heldBy(token)).build());
        } catch (ConditionalCheckFailedException lost) {
            // taken over meanwhile: not ours to give back
        }
    }

    private boolean takeOver(IdempotencyItem mine, IdempotencyItem stale) {
        Expression sameStaleClaim = Expression.builder()
                .expression("attribute_not_exists(#status) AND #token = :token")
                .putExpressionName("#status", "responseStatus").putExpressionName("#token", "claimToken")
                .putExpressionValue(":token", AttributeValue.fromS(String.valueOf(stale.getClaimToken()))).build();
        try {
            table.putItem(PutItemEnhancedRequest.builder(IdempotencyItem.class).item(mine).conditionExpression(sameStaleClaim).build());
            return true;
        } catch (ConditionalCheckFailedException someoneElse) {
            return false;
        }
    }

    private static Expression heldBy(String token) {
        return Expression.builder().expression("#token = :token AND attribute_not_exists(#status)")
                .expressionNames(Map.of("#token", "claimToken", "#status", "responseStatus"))
                .expressionValues(Map.of(":token", AttributeValue.fromS(token))).build();
    }

    private IdempotencyItem read(String scope, String key) {
        return table.getItem(GetItemEnhancedRequest.builder()
                .key(Key.builder().partitionValue(scope + "#" + key).build()).consistentRead(true).build());
    }
}
