package dev.sluice.adapters.webhook;

import dev.sluice.core.port.CallbackSecrets;
import dev.sluice.core.webhook.WebhookSignature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;

/** Callback secrets in WebhooksTable, one item per owner: {@code id = callback#<subject>}. */
public final class DynamoCallbackSecrets implements CallbackSecrets {
    private final DynamoDbClient dynamo;
    private final String table;
    private final Supplier<byte[]> random;

    public DynamoCallbackSecrets(DynamoDbClient dynamo, String table, Supplier<byte[]> random) {
        this.dynamo = dynamo;
        this.table = table;
        this.random = random;
    }

    private static Map<String, AttributeValue> key(String owner) {
        return Map.of("id", AttributeValue.fromS("callback#" + owner));
    }

    @Override
    public List<String> signingSecrets(String owner, Instant now) {
        Map<String, AttributeValue> item = dynamo.getItem(r -> r.tableName(table).key(key(owner)).consistentRead(true)).item();
        if (item == null || item.isEmpty()) {
            String secret = WebhookSignature.secretOf(random.get());
            try {
                dynamo.putItem(r -> r.tableName(table).item(Map.of("id", AttributeValue.fromS("callback#" + owner),
                        "secret", AttributeValue.fromS(secret))).conditionExpression("attribute_not_exists(id)"));
                return List.of(secret);
            } catch (ConditionalCheckFailedException madeMeanwhile) {
                return signingSecrets(owner, now);
            }
        }
        List<String> secrets = new ArrayList<>();
        secrets.add(item.get("secret").s());
        if (item.containsKey("previousSecret") && now.isBefore(Instant.parse(item.get("previousSecretValidUntil").s()))) {
            secrets.add(item.get("previousSecret").s());
        }
        return secrets;
    }

    @Override
    public String rotate(String owner, String newSecret, Instant graceUntil) {
        dynamo.updateItem(r -> r.tableName(table).key(key(owner))
                .updateExpression("SET previousSecret = secret, previousSecretValidUntil = :g, secret = :s")
                .conditionExpression("attribute_exists(secret)")
                .expressionAttributeValues(Map.of(":g", AttributeValue.fromS(graceUntil.toString()), ":s", AttributeValue.fromS(newSecret)))
                .build());
        return newSecret;
    }
}
