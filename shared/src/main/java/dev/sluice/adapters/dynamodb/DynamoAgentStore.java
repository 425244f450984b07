package dev.sluice.adapters.dynamodb;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.port.AgentStore;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbEnhancedClient;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbTable;
import software.amazon.awssdk.enhanced.dynamodb.Key;
import software.amazon.awssdk.enhanced.dynamodb.model.GetItemEnhancedRequest;
import software.amazon.awssdk.enhanced.dynamodb.model.QueryConditional;

/** Agents in DynamoDB, keyed by id (the EC2 instance id on AWS), listed per resource group through {@code by-group}. */
public final class DynamoAgentStore implements AgentStore {
    private final DynamoDbTable<AgentItem> table;

    public DynamoAgentStore(DynamoDbEnhancedClient client, String tableName) {
        this.table = client.table(tableName, AgentItem.SCHEMA);
    }

    @Override
    public Optional<Agent> find(String id) {
        return Optional.ofNullable(table.getItem(GetItemEnhancedRequest.builder()
                .key(Key.builder().partitionValue(id).build()).consistentRead(true).build())).map(AgentItem::toAgent);
    }

    @Override
    public List<Agent> inGroup(String resourceGroup) {
        return table.index(AgentItem.BY_GROUP)
                .query(QueryConditional.keyEqualTo(Key.builder().partitionValue(resourceGroup).build()))
                .stream().flatMap(p -> p.items().stream()).map(AgentItem::toAgent).toList();
    }

    @Override
    public List<Agent> all() {
        return table.scan().items().stream().map(AgentItem::toAgent).sorted(Comparator.comparing(Agent::id)).toList();
    }

    @Override
    public void put(Agent agent) {
        table.putItem(AgentItem.from(agent));
    }
}
