package dev.sluice.adapters.dynamodb;

import dev.sluice.adapters.json.Json;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.port.ResourceGroupStore;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbEnhancedClient;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbTable;
import software.amazon.awssdk.enhanced.dynamodb.Expression;
import software.amazon.awssdk.enhanced.dynamodb.Key;
import software.amazon.awssdk.enhanced.dynamodb.model.PutItemEnhancedRequest;
import software.amazon.awssdk.enhanced.dynamodb.model.UpdateItemEnhancedRequest;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.enhanced.dynamodb.model.GetItemEnhancedRequest;

/** Resource groups in DynamoDB, keyed by name; a deployment has tens of them, so listing is a scan. */
public final class DynamoResourceGroupStore implements ResourceGroupStore {
    private final DynamoDbTable<ResourceGroupItem> table;

    public DynamoResourceGroupStore(DynamoDbEnhancedClient client, String tableName) {
        this.table = client.table(tableName, ResourceGroupItem.SCHEMA);
    }

    @Override
    public void put(ResourceGroup group) {
        table.updateItem(UpdateItemEnhancedRequest.builder(ResourceGroupItem.class).item(ResourceGroupItem.from(group)).ignoreNulls(true).build());
    }

    @Override
    public boolean create(ResourceGroup group) {
        try {
            table.putItem(PutItemEnhancedRequest.builder(ResourceGroupItem.class).item(ResourceGroupItem.from(group))
                    .conditionExpression(Expression.builder().expression("attribute_not_exists(#n)").putExpressionName("#n", "name").build())
                    .build());
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    @Override
    public boolean replace(ResourceGroup group, Instant expectedUpdatedAt) {
        try {
            table.updateItem(UpdateItemEnhancedRequest.builder(ResourceGroupItem.class).item(ResourceGroupItem.from(group)).ignoreNulls(true)
                    .conditionExpression(Expression.builder().expression("#u = :u").putExpressionName("#u", "updatedAt")
                            .putExpressionValue(":u", AttributeValue.fromS(expectedUpdatedAt.toString())).build())
                    .build());
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    @Override
    public Optional<ResourceGroup> find(String name) {
        return Optional.ofNullable(table.getItem(GetItemEnhancedRequest.builder()
                .key(Key.builder().partitionValue(name).build()).consistentRead(true).build()))
                .map(ResourceGroupItem::toResourceGroup);
    }

    @Override
    public Optional<String> roundRobinPosition(String name) {
        return Optional.ofNullable(table.getItem(Key.builder().partitionValue(name).build())).map(ResourceGroupItem::getRoundRobinAgent);
    }

    @Override
    public void saveRoundRobinPosition(String name, String agentId) {
        ResourceGroupItem position = new ResourceGroupItem();
        position.setName(name);
        position.setRoundRobinAgent(agentId);
        table.updateItem(UpdateItemEnhancedRequest.builder(ResourceGroupItem.class).item(position).ignoreNulls(true)
                .conditionExpression(Expression.builder().expression("attribute_exists(#n)").putExpressionName("#n", "name").build())
                .build());
    }

    @Override
    public Optional<dev.sluice.core.fleet.FleetCatalog> fleet(String name) {
        return Optional.ofNullable(table.getItem(GetItemEnhancedRequest.builder()
                .key(Key.builder().partitionValue(name).build()).consistentRead(true).build()))
                .flatMap(ResourceGroupItem::toFleet);
    }

    @Override
    public boolean saveFleet(String name, dev.sluice.core.fleet.FleetCatalog fleet) {
        ResourceGroupItem item = new ResourceGroupItem();
        item.setName(name);
        item.setFleet(Json.write(ResourceGroupItem.storedFleet(fleet)));
        try {
            table.updateItem(UpdateItemEnhancedRequest.builder(ResourceGroupItem.class).item(item).ignoreNulls(true)
                    .conditionExpression(Expression.builder().expression("attribute_exists(#n)").putExpressionName("#n", "name").build())
                    .build());
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    @Override
    public List<ResourceGroup> list() {
        return table.scan().items().stream()
                .map(ResourceGroupItem::toResourceGroup)
                .sorted(Comparator.comparing(ResourceGroup::name))
                .toList();
    }
}
