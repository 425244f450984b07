package dev.sluice.adapters.dynamodb;

import dev.sluice.core.port.PlacementWriter;
import dev.sluice.core.session.Kernel;
import dev.sluice.core.session.Session;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

/** One TransactWriteItems per placement: the session PENDING -> SCHEDULED and each kernel's reservation. */
public final class DynamoPlacements implements PlacementWriter {
    private final DynamoDbClient dynamoDb;
    private final String sessionsTable;
    private final String agentsTable;

    public DynamoPlacements(DynamoDbClient dynamoDb, String sessionsTable, String agentsTable) {
        this.dynamoDb = dynamoDb;
        this.sessionsTable = sessionsTable;
        this.agentsTable = agentsTable;
    }

    @Override
    public boolean place(Session scheduled, long expectedSequence) {
        List<TransactWriteItem> items = items(sessionsTable, agentsTable, scheduled, expectedSequence);
        if (items.size() > PlacementWriter.MAX_TRANSACTION_ITEMS) {
            // The planner never plans such a placement (SessionSpec refuses such sessions); DynamoDB would refuse it.
            throw new IllegalArgumentException("a placement of " + scheduled.kernels().size() + " kernels needs " + items.size()
                    + " transaction items; at most " + PlacementWriter.MAX_TRANSACTION_ITEMS + " fit");
        }
        try {
            dynamoDb.transactWriteItems(b -> b.transactItems(items));
            return true;
        } catch (TransactionCanceledException conflict) {
            return false;
        }
    }

    /** The items of a placement's transaction: the session, each kernel's reservation, each further kernel's pointer. */
    static List<TransactWriteItem> items(String sessionsTable, String agentsTable, Session scheduled, long expectedSequence) {
        List<TransactWriteItem> items = new ArrayList<>();
        items.add(TransactWriteItem.builder().put(sessionPut(sessionsTable, scheduled, "PENDING", expectedSequence)).build());
        for (Kernel k : scheduled.kernels()) {
            items.add(AgentReservations.reserve(agentsTable, k));
        }
        items.addAll(KernelPointers.puts(sessionsTable, scheduled));
        return items;
    }

    /** A put of the session that holds only if the stored one is still in {@code expectedStatus} at {@code expectedSequence}. */
    static Put sessionPut(String table, Session session, String expectedStatus, long expectedSequence) {
        return Put.builder()
                .tableName(table)
                .item(SessionItem.SCHEMA.itemToMap(SessionItem.from(session), true))
                .conditionExpression("#status = :status AND #seq = :seq")
                .expressionAttributeNames(Map.of("#status", "status", "#seq", "sequence"))
                .expressionAttributeValues(Map.of(":status", AttributeValue.fromS(expectedStatus),
                        ":seq", AttributeValue.fromN(Long.toString(expectedSequence))))
                .build();
    }
}
