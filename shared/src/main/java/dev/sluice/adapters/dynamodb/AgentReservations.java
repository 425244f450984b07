package dev.sluice.adapters.dynamodb;

import dev.sluice.core.session.Kernel;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.Update;

/**
 * The agent side of a placement or a release, as transaction items. A reservation is conditional on the agent being
 * ALIVE, schedulable and having every requested slot free ({@code freeSlots.x >= request}), so no two writers can
 * ever over-commit an agent, whatever they planned from.
 */
final class AgentReservations {
    private AgentReservations() {
    }

    /** A kernel's reservation or release on its agent, under the change's condition on the agent. */
    static TransactWriteItem of(String agentsTable, dev.sluice.core.session.SessionChange.AgentSlots slots) {
        if (slots.condition() instanceof dev.sluice.core.session.SessionChange.AgentCondition.Lost lost) {
            return update(agentsTable, slots.kernel(), slots.reserve(), false, lost.lastHeartbeat());
        }
        boolean alive = slots.condition() instanceof dev.sluice.core.session.SessionChange.AgentCondition.AliveAndSchedulable;
        return update(agentsTable, slots.kernel(), slots.reserve(), alive, null);
    }

    private static TransactWriteItem update(String agentsTable, Kernel kernel, boolean reserve, boolean aliveAndSchedulable,
                                            java.time.Instant lostSince) {
        Map<String, String> names = new HashMap<>();
        Map<String, AttributeValue> values = new HashMap<>();
        names.put("#free", "freeSlots");
        names.put("#occ", "occupiedSlots");
        List<String> sets = new ArrayList<>();
        List<String> conditions = new ArrayList<>();
        conditions.add("attribute_exists(id)");
        if (aliveAndSchedulable) {
            names.put("#status", "status");
            names.put("#sched", "schedulable");
            values.put(":alive", AttributeValue.fromS("ALIVE"));
            values.put(":yes", AttributeValue.fromBool(true));
            conditions.add("#status = :alive");
            conditions.add("#sched = :yes");
        }
        if (lostSince != null) {
            names.put("#status", "status");
            names.put("#hb", "lastHeartbeat");
            values.put(":lost", AttributeValue.fromS("LOST"));
            values.put(":seen", AttributeValue.fromS(lostSince.toString()));
            conditions.add("#status = :lost");
            conditions.add("#hb = :seen");
        }
        int i = 0;
        for (Map.Entry<String, BigDecimal> e : kernel.slots().amounts().entrySet()) {
            String slot = "#s" + i;
            String amount = ":r" + i;
            names.put(slot, e.getKey());
            values.put(amount, AttributeValue.fromN(e.getValue().toPlainString()));
            if (reserve) {
                conditions.add("#free." + slot + " >= " + amount);
                sets.add("#free." + slot + " = #free." + slot + " - " + amount);
                sets.add("#occ." + slot + " = #occ." + slot + " + " + amount);
            } else {
                sets.add("#free." + slot + " = #free." + slot + " + " + amount);
                sets.add("#occ." + slot + " = #occ." + slot + " - " + amount);
            }
            i++;
        }
        Map<String, AttributeValue> key = Map.of("id", AttributeValue.fromS(kernel.agentId()));
        if (sets.isEmpty()) {
            // a kernel with no slots changes nothing on its agent, but a reservation still checks the agent
            names.remove("#free");
            names.remove("#occ");
            return TransactWriteItem.builder().conditionCheck(c -> c.tableName(agentsTable).key(key)
                    .conditionExpression(String.join(" AND ", conditions)).expressionAttributeNames(names.isEmpty() ? null : names)
                    .expressionAttributeValues(values.isEmpty() ? null : values)).build();
        }
        Update.Builder update = Update.builder()
                .tableName(agentsTable)
                .key(key)
                .conditionExpression(String.join(" AND ", conditions))
                .expressionAttributeNames(names)
                .updateExpression("SET " + String.join(", ", sets));
        if (!values.isEmpty()) {
            update.expressionAttributeValues(values);
        }
        return TransactWriteItem.builder().update(update.build()).build();
    }
}
