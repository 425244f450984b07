package dev.sluice.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.request.RequestFields;
import dev.sluice.core.slots.ResourceSlots;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A batch of changes as one write: one operation per agent for the sum of its slots, cut to the transaction's limits. */
class SessionBatchTest {
    private static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");
    private static final ResourceSlots ONE = ResourceSlots.parse(RequestFields.of(Map.of("cpu", 1, "mem", "1g", "cuda.device", 1)).at("s"));

    private static Session pending(int i) {
        return Session.enqueue("s-" + i, "alice", SessionSpec.parse(RequestFields.of(Map.of("image", "python:3.12",
                "resource_slots", Map.of("cpu", 1, "mem", "1g", "cuda.device", 1))), T0), "g", T0.plusMillis(i));
    }

    private static SessionChange placing(int i, String... agents) {
        List<Kernel> kernels = new ArrayList<>();
        for (String a : agents) {
            kernels.add(new Kernel(a, ONE));
        }
        return SessionChange.place(pending(i), kernels, "scheduled", StatusData.NONE, T0);
    }

    @Test
    void theReservationsOnOneAgentAreOneOperationForTheirSum() {
        SessionBatch batch = new SessionBatch(List.of(placing(0, "a"), placing(1, "a"), placing(2, "b"), placing(3, "a", "b")));
        assertThat(batch.agentSlots()).hasSize(2);
        SessionChange.AgentSlots onA = batch.agentSlots().get(0);
        assertThat(onA.kernel().agentId()).isEqualTo("a");
        assertThat(onA.reserve()).isTrue();
        assertThat(onA.condition()).isEqualTo(new SessionChange.AgentCondition.AliveAndSchedulable());
        assertThat(onA.kernel().slots().get("cuda.device")).isEqualByComparingTo(new BigDecimal(3));
        assertThat(batch.agentSlots().get(1).kernel().slots().get("cuda.device")).isEqualByComparingTo(new BigDecimal(2));
        // 4 sessions, 2 agents, 1 pointer (the second kernel of s-3)
        assertThat(batch.items()).isEqualTo(7);
    }

    @Test
    void aBatchChangesEachSessionOnceAndDoesOneThingToAnAgent() {
        assertThatThrownBy(() -> new SessionBatch(List.of(placing(0, "a"), placing(0, "b"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("s-0 appears twice");
        Session running = placing(1, "a").next();
        SessionChange release = SessionChange.update(running.transitionTo(SessionStatus.CANCELLED, "x", StatusData.NONE, T0),
                SessionStatus.SCHEDULED, running.sequence());
        assertThatThrownBy(() -> new SessionBatch(List.of(placing(0, "a"), release)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("agent a");
        assertThatThrownBy(() -> new SessionBatch(List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        // a reservation and a release on different agents go together
        SessionChange elsewhere = SessionChange.update(placing(2, "b").next().transitionTo(SessionStatus.CANCELLED, "x", StatusData.NONE, T0),
                SessionStatus.SCHEDULED, 2);
        assertThat(new SessionBatch(List.of(placing(0, "a"), elsewhere)).agentSlots()).hasSize(2);
    }

    @Test
    void aLaneLongerThanTheItemLimitIsCutIntoBatchesThatEachFit() {
        List<SessionChange> lane = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            lane.add(placing(i, "a"));
        }
        List<List<SessionChange>> chunks = SessionBatch.chunks(lane, SessionChange.MAX_TRANSACTION_ITEMS, SessionBatch.MAX_TRANSACTION_BYTES, c -> 0);
        // 99 sessions and the one agent item fill the first transaction exactly
        assertThat(chunks).extracting(List::size).containsExactly(99, 51);
        assertThat(new SessionBatch(chunks.get(0)).items()).isEqualTo(SessionChange.MAX_TRANSACTION_ITEMS);
        assertThat(chunks.stream().flatMap(List::stream).toList()).as("in plan order, none lost").isEqualTo(lane);
    }

    @Test
    void multiNodePlacementsCountEveryAgentAndPointerAgainstTheLimit() {
        List<SessionChange> lane = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            lane.add(placing(i, "a", "b", "c"));
        }
        // each placement: its session and 2 pointers; the three agents once a batch: 3 + 3n <= 100 -> 32 a batch
        List<List<SessionChange>> chunks = SessionBatch.chunks(lane, SessionChange.MAX_TRANSACTION_ITEMS, SessionBatch.MAX_TRANSACTION_BYTES, c -> 0);
        assertThat(chunks).extracting(List::size).containsExactly(32, 8);
        assertThat(chunks).allSatisfy(c -> assertThat(new SessionBatch(c).items()).isLessThanOrEqualTo(SessionChange.MAX_TRANSACTION_ITEMS));
    }

    @Test
    void theSizeLimitCutsToo() {
        List<SessionChange> lane = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            lane.add(placing(i, "a"));
        }
        // 1.5 MB a change: two fit in 4 MB, three do not
        List<List<SessionChange>> chunks = SessionBatch.chunks(lane, SessionChange.MAX_TRANSACTION_ITEMS, SessionBatch.MAX_TRANSACTION_BYTES,
                c -> 1_500_000L);
        assertThat(chunks).extracting(List::size).containsExactly(2, 2, 2, 2, 2);
    }

    @Test
    void changesThatDisagreeOnAnAgentStartANewBatch() {
        Session scheduled = placing(1, "a").next();
        SessionChange release = SessionChange.update(scheduled.transitionTo(SessionStatus.CANCELLED, "x", StatusData.NONE, T0),
                SessionStatus.SCHEDULED, scheduled.sequence());
        List<List<SessionChange>> chunks = SessionBatch.chunks(List.of(placing(0, "a"), release, placing(2, "a")),
                SessionChange.MAX_TRANSACTION_ITEMS, SessionBatch.MAX_TRANSACTION_BYTES, c -> 0);
        assertThat(chunks).extracting(List::size).containsExactly(1, 1, 1);
    }
}
