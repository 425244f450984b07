package dev.sluice.adapters.dynamodb;

import dev.sluice.core.session.StatusData;
import dev.sluice.core.request.RequestFields;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.session.SessionChange;
import dev.sluice.core.session.Kernel;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionSpec;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.slots.ResourceSlots;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;

/**
 * DynamoDB takes at most 100 items in one TransactWriteItems, each item at most once. The placement and the release
 * of a multi-node session are counted here exactly as the adapters build them, and the kernel limit that SessionSpec
 * and the planner apply is the largest that fits.
 */
class TransactionLimitsTest {
    private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");

    private static Session pending(int kernels) {
        Map<String, Object> body = Map.of("image", "python:3.12", "cluster_mode", "multi-node", "cluster_size", 2,
                "resource_slots", Map.of("cpu", 1, "mem", "1g", "cuda.device", 1));
        SessionSpec two = SessionSpec.parse(RequestFields.of(body), T0);
        SessionSpec spec = new SessionSpec(two.name(), two.type(), two.image(), two.requestedResourceGroup(), two.requestedSlots(),
                two.startupCommand(), two.startsAt(), two.batchTimeout(), two.dependencies(), two.priority(), two.callbackUrl(),
                two.clusterMode(), kernels, two.environment(), two.mounts(), two.tags(), two.folderMounts());
        return Session.enqueue("s-1", "owner", spec, "g", T0);
    }

    private static List<Kernel> kernels(int kernels) {
        List<Kernel> onAgents = new ArrayList<>();
        for (int i = 0; i < kernels; i++) {
            onAgents.add(new Kernel("agent-" + i, ResourceSlots.parse(RequestFields.of(Map.of("cpu", 1, "mem", "1g", "cuda.device", 1)).at("slots"))));
        }
        return onAgents;
    }

    private static SessionChange placing(int kernels) {
        return SessionChange.place(pending(kernels), kernels(kernels), "scheduled", StatusData.NONE, T0);
    }

    private static Session placed(int kernels) {
        return placing(kernels).next();
    }

    private static List<TransactWriteItem> placement(Session s) {
        return DynamoSessionStore.items("sessions", "agents", placing(s.kernels().size()));
    }

    /** The release of an ended session, the first kernel's agent lost (its release conditional on that). */
    private static List<TransactWriteItem> release(Session s) {
        Session ended = s.transitionTo(SessionStatus.ERROR, "agent-lost", StatusData.NONE, T0);
        return DynamoSessionStore.items("sessions", "agents",
                SessionChange.resolveLost(ended, SessionStatus.SCHEDULED, s.sequence(), "agent-0", T0));
    }

    @Test
    void placementsAndReleasesHaveTheCountedItemsEachOnADistinctItem() {
        for (int kernels = 1; kernels <= 64; kernels++) {
            Session s = placed(kernels);
            assertThat(placement(s)).hasSize(SessionChange.transactionItems(kernels));
            assertThat(release(s)).hasSize(SessionChange.transactionItems(kernels));
            assertThat(distinctKeys(placement(s))).isEqualTo(placement(s).size());
            assertThat(distinctKeys(release(s))).isEqualTo(release(s).size());
        }
    }

    @Test
    void theLargestSessionAllowedFitsInOneTransactionAndOneMoreKernelWouldNot() {
        assertThat(SessionChange.MAX_KERNELS).isEqualTo(50);
        assertThat(placement(placed(SessionChange.MAX_KERNELS))).hasSizeLessThanOrEqualTo(SessionChange.MAX_TRANSACTION_ITEMS);
        assertThat(release(placed(SessionChange.MAX_KERNELS))).hasSizeLessThanOrEqualTo(SessionChange.MAX_TRANSACTION_ITEMS);
        assertThat(placement(placed(SessionChange.MAX_KERNELS + 1))).hasSizeGreaterThan(SessionChange.MAX_TRANSACTION_ITEMS);
    }

    @Test
    void aBatchIsTheCountedItemsEachOnADistinctItemWithOneUpdateAnAgent() {
        List<SessionChange> changes = new ArrayList<>();
        for (int i = 0; i < 99; i++) {
            Session s = Session.enqueue("s-" + i, "owner", pending(1).spec(), "g", T0);
            changes.add(SessionChange.place(s, List.of(kernels(1).get(0)), "scheduled", StatusData.NONE, T0));
        }
        dev.sluice.core.session.SessionBatch batch = new dev.sluice.core.session.SessionBatch(changes);
        List<TransactWriteItem> items = DynamoSessionStore.items("sessions", "agents", batch);
        assertThat(items).hasSize(batch.items()).hasSize(SessionChange.MAX_TRANSACTION_ITEMS);
        assertThat(distinctKeys(items)).isEqualTo(items.size());
        List<TransactWriteItem> updates = items.stream().filter(i -> i.update() != null).toList();
        assertThat(updates).singleElement().satisfies(u -> {
            // the condition and the update are for the sum of the batch's slots
            assertThat(u.update().conditionExpression()).contains("#free.");
            assertThat(u.update().expressionAttributeValues().values()).contains(
                    software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromN("99"));
        });

        // multi-node placements in one batch: each agent once, every pointer
        List<SessionChange> multi = List.of(placing(3), SessionChange.place(Session.enqueue("s-x", "owner", pending(3).spec(), "g", T0),
                kernels(3), "scheduled", StatusData.NONE, T0));
        dev.sluice.core.session.SessionBatch both = new dev.sluice.core.session.SessionBatch(multi);
        List<TransactWriteItem> bothItems = DynamoSessionStore.items("sessions", "agents", both);
        assertThat(bothItems).hasSize(both.items()).hasSize(2 + 3 + 4);
        assertThat(distinctKeys(bothItems)).isEqualTo(bothItems.size());
    }

    /** How many distinct (table, key) pairs the items touch: DynamoDB refuses two operations on one item. */
    private static int distinctKeys(List<TransactWriteItem> items) {
        Set<String> keys = new HashSet<>();
        for (TransactWriteItem i : items) {
            if (i.put() != null) {
                keys.add(i.put().tableName() + "/" + i.put().item().get("id").s());
            } else if (i.update() != null) {
                keys.add(i.update().tableName() + "/" + i.update().key().get("id").s());
            } else if (i.delete() != null) {
                keys.add(i.delete().tableName() + "/" + i.delete().key().get("id").s());
            } else {
                keys.add(i.conditionCheck().tableName() + "/" + i.conditionCheck().key().get("id").s());
            }
        }
        return keys.size();
    }
}
