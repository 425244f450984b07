package dev.sluice.adapters.dynamodb;

import dev.sluice.core.port.PassLease;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;

/** The pass lease as three attributes of the resource group's item: holder, expiry, and "run again". */
public final class DynamoPassLease implements PassLease {
    private final DynamoDbClient dynamoDb;
    private final String table;

    public DynamoPassLease(DynamoDbClient dynamoDb, String table) {
        this.dynamoDb = dynamoDb;
        this.table = table;
    }

    private static Map<String, AttributeValue> key(String group) {
        return Map.of("name", AttributeValue.fromS(group));
    }

    @Override
    public boolean acquire(String group, String holder, Instant now, Duration ttl) {
        // Either take the lease, or leave word with the pass that holds it; never leave word on a free lease (the
        // holder may release between our two writes), so a trigger is never lost.
        for (int attempt = 0; attempt < 3; attempt++) {
            if (take(group, holder, now, ttl)) {
                return true;
            }
            if (askHolderToRunAgain(group, now)) {
                return false;
            }
        }
        return false;
    }

    private boolean take(String group, String holder, Instant now, Duration ttl) {
        try {
            dynamoDb.updateItem(b -> b.tableName(table).key(key(group))
                    .updateExpression("SET passHolder = :h, passUntil = :until, passAgain = :no")
                    .conditionExpression("attribute_exists(#n) AND (attribute_not_exists(passUntil) OR passUntil < :now)")
                    .expressionAttributeNames(Map.of("#n", "name"))
                    .expressionAttributeValues(Map.of(":h", AttributeValue.fromS(holder),
                            ":until", AttributeValue.fromN(Long.toString(now.plus(ttl).toEpochMilli())),
                            ":now", AttributeValue.fromN(Long.toString(now.toEpochMilli())),
                            ":no", AttributeValue.fromBool(false))));
            return true;
        } catch (ConditionalCheckFailedException held) {
            return false;
        }
    }

    private boolean askHolderToRunAgain(String group, Instant now) {
        try {
            dynamoDb.updateItem(b -> b.tableName(table).key(key(group))
                    .updateExpression("SET passAgain = :yes")
                    .conditionExpression("attribute_exists(passHolder) AND passUntil >= :now")
                    .expressionAttributeValues(Map.of(":yes", AttributeValue.fromBool(true),
                            ":now", AttributeValue.fromN(Long.toString(now.toEpochMilli())))));
            return true;
        } catch (ConditionalCheckFailedException releasedMeanwhile) {
            return false;
        }
    }

    @Override
    public boolean releaseOrContinue(String group, String holder, Instant now, Duration ttl) {
        try {
            dynamoDb.updateItem(b -> b.tableName(table).key(key(group))
                    .updateExpression("REMOVE passHolder, passUntil SET passAgain = :no")
                    .conditionExpression("passHolder = :h AND passAgain = :no")
                    .expressionAttributeValues(Map.of(":h", AttributeValue.fromS(holder), ":no", AttributeValue.fromBool(false))));
            return false;
        } catch (ConditionalCheckFailedException triggeredOrLost) {
            try {
                dynamoDb.updateItem(b -> b.tableName(table).key(key(group))
                        .updateExpression("SET passAgain = :no, passUntil = :until")
                        .conditionExpression("passHolder = :h")
                        .expressionAttributeValues(Map.of(":h", AttributeValue.fromS(holder), ":no", AttributeValue.fromBool(false),
                                ":until", AttributeValue.fromN(Long.toString(now.plus(ttl).toEpochMilli())))));
                return true;
            } catch (ConditionalCheckFailedException lost) {
                return false;
            }
        }
    }

    @Override
    public void release(String group, String holder) {
        try {
            dynamoDb.updateItem(b -> b.tableName(table).key(key(group))
                    .updateExpression("REMOVE passHolder, passUntil")
                    .conditionExpression("passHolder = :h")
                    .expressionAttributeValues(Map.of(":h", AttributeValue.fromS(holder))));
        } catch (ConditionalCheckFailedException lost) {
            // someone took it over after it expired
        }
    }
}
