package dev.sluice.adapters.dynamodb;

import dev.sluice.core.session.StatusData;
import dev.sluice.core.json.JsonObject;
import dev.sluice.core.request.RequestFields;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.session.Kernel;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionSpec;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.slots.ResourceSlots;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** The session item: short names, nothing derivable or empty stored, the same session read back, old items still read. */
class SessionItemTest {
    private static final Instant T = Instant.parse("2026-12-03T10:00:00.123456Z");

    private static Session ranSession(Map<String, Object> extra) {
        Map<String, Object> body = new HashMap<>(Map.of("image", "python:3.12", "type", "batch", "startup_command", "echo hi",
                "resource_group", "g1", "resource_slots", Map.of("cpu", 1, "mem", "1g", "cuda.device", 1)));
        body.putAll(extra);
        Session s = Session.enqueue("s-1", "user-1", SessionSpec.parse(RequestFields.of(body), T), "g1", T);
        s = s.placedOn(List.of(new Kernel("i-1", ResourceSlots.parse(RequestFields.of(Map.of("cpu", 1, "mem", "1g", "cuda.device", 1)).at("s")), false)))
                .transitionTo(SessionStatus.SCHEDULED, "scheduled", StatusData.NONE, T.plusSeconds(1));
        s = s.transitionTo(SessionStatus.PREPARING, "preparing", new StatusData(JsonObject.of("agent_id", "i-1")), T.plusSeconds(2));
        return s.transitionTo(SessionStatus.RUNNING, "running", new StatusData(JsonObject.of("agent_id", "i-1", "container_id", "4242")), T.plusSeconds(3));
    }

    @Test
    void aSessionIsReadBackAsWrittenWithShortNamesAndNothingEmptyOrDerivable() {
        for (Map<String, Object> extra : List.of(Map.<String, Object>of(), Map.<String, Object>of("environment", Map.of("A", "1"),
                "tags", List.of("x"), "priority", 50, "name", "n1", "batch_timeout", "10m"))) {
            Session s = ranSession(extra);
            Map<String, AttributeValue> item = SessionItem.SCHEMA.itemToMap(SessionItem.from(s), true);
            assertThat(SessionItem.SCHEMA.mapToItem(item).toSession()).isEqualTo(s);
            assertThat(item).doesNotContainKeys("createdAt", "agentId", "occupiedSlots", "statusHistory", "type", "image",
                    "requestedSlots", "kernels", "statusInfo", "statusData", "result");
            if (extra.isEmpty()) {
                assertThat(item).doesNotContainKeys("env", "tg", "dp", "mn", "fm", "pr", "cm", "cs", "cb");
            }
            assertThat(item.get("h").l()).extracting(AttributeValue::s).startsWith("PENDING 2026-12-03T10:00:00.123456Z");
        }
    }

    @Test
    void theRuntimeFactsAreOneShortAttributeOfTheirOwnJsonAndAnItemWithoutThemReadsEmpty() {
        dev.sluice.protocol.SessionRuntimeFacts facts = dev.sluice.protocol.SessionRuntimeFacts.EMPTY
                .withPull(new dev.sluice.protocol.SessionRuntimeFacts.PullProgress(7, 9, 1, 2));
        Session s = ranSession(Map.of()).withRuntime(facts);
        Map<String, AttributeValue> item = SessionItem.SCHEMA.itemToMap(SessionItem.from(s), true);
        assertThat(item.get("rt").s()).isEqualTo(facts.toJson());
        assertThat(SessionItem.SCHEMA.mapToItem(item).toSession()).isEqualTo(s);

        Map<String, AttributeValue> none = SessionItem.SCHEMA.itemToMap(SessionItem.from(ranSession(Map.of())), true);
        assertThat(none).as("nothing known, nothing stored").doesNotContainKey("rt");
        assertThat(SessionItem.SCHEMA.mapToItem(none).toSession().runtime()).isEqualTo(dev.sluice.protocol.SessionRuntimeFacts.EMPTY);
    }

    @Test
    void anItemWrittenWithTheLongNamesIsStillRead() {
        Session s = ranSession(Map.of("environment", Map.of("A", "1"), "priority", 50));
        Map<String, AttributeValue> item = new HashMap<>(SessionItem.SCHEMA.itemToMap(SessionItem.from(s), true));
        Map<String, String> renames = Map.ofEntries(Map.entry("ty", "type"), Map.entry("im", "image"), Map.entry("rs", "requestedSlots"),
                Map.entry("k", "kernels"), Map.entry("si", "statusInfo"), Map.entry("sd", "statusData"), Map.entry("r", "result"),
                Map.entry("t1", "startedAt"), Map.entry("cmd", "startupCommand"), Map.entry("pr", "priority"), Map.entry("env", "environment"));
        renames.forEach((now, before) -> item.put(before, item.remove(now)));
        List<AttributeValue> history = item.remove("h").l().stream().map(h -> {
            String[] p = h.s().split(" ");
            return AttributeValue.fromM(Map.of("status", AttributeValue.fromS(p[0]), "at", AttributeValue.fromS(p[1])));
        }).toList();
        item.put("statusHistory", AttributeValue.fromL(history));
        item.put("clusterMode", AttributeValue.fromS("single-node"));
        item.put("clusterSize", AttributeValue.fromN("1"));
        item.put("createdAt", AttributeValue.fromS(T.toString()));
        assertThat(SessionItem.SCHEMA.mapToItem(item).toSession()).isEqualTo(s);
        assertThat(SessionItem.SCHEMA.itemToMap(SessionItem.from(SessionItem.SCHEMA.mapToItem(item).toSession()), true))
                .as("its next write (the store writes what it read, changed) has the short names only").doesNotContainKeys("statusHistory", "type", "priority", "environment")
                .containsKeys("h", "ty", "pr", "env");
    }

    @Test
    void aRequeuedSessionKeepsItsRulesAndAttemptsAndSortsFirstAmongItsPriority() {
        Session running = ranSession(Map.of("priority", 30, "retry", Map.of("attempts", 3, "on_demand_after", 1, "rules",
                List.of(Map.of("on", "exit-code", "codes", "1-5", "action", "retry")))));
        Session requeued = dev.sluice.core.session.SessionChange.update(dev.sluice.core.session.SessionRetry.afterEnd(running,
                running.transitionTo(SessionStatus.TERMINATED, "task-failed", new StatusData(JsonObject.of("exit_code", 2)), T.plusSeconds(9)),
                T.plusSeconds(9)), SessionStatus.RUNNING, running.sequence()).next();
        SessionItem item = SessionItem.from(requeued);
        assertThat(item.getQueueKey()).isEqualTo("070#!" + T + "#s-1");
        assertThat(item.getQueueKey()).isLessThan(SessionItem.queueKey(30, T.minusSeconds(3600), "s-0"))
                .isGreaterThan(SessionItem.queueKey(31, T, "s-2"));
        assertThat(item.getPendingGroup()).isEqualTo("g1");
        assertThat(item.getHostingAgent()).isNull();
        assertThat(item.getKernels()).isNull();
        Session read = SessionItem.SCHEMA.mapToItem(SessionItem.SCHEMA.itemToMap(item, true)).toSession();
        assertThat(read).isEqualTo(requeued);
        assertThat(read.attempts()).singleElement().satisfies(a -> assertThat(a.exitCode()).contains(2));
        // Without rules nothing is stored for them.
        Map<String, AttributeValue> plain = SessionItem.SCHEMA.itemToMap(SessionItem.from(ranSession(Map.of())), true);
        assertThat(plain).doesNotContainKeys("ry", "at");
    }
}
