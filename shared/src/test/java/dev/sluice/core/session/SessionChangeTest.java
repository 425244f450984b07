package dev.sluice.core.session;

import dev.sluice.core.request.RequestFields;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.slots.ResourceSlots;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The one typed change of a session: the transition map and the release rule, checked once, here. */
class SessionChangeTest {
    private static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");
    private static final SessionSpec SPEC = SessionSpec.parse(
            RequestFields.of(Map.of("image", "python:3.12", "resource_slots", Map.of("cpu", 1, "mem", "1g", "cuda.device", 1))), T0);
    private static final ResourceSlots ONE = ResourceSlots.parse(RequestFields.of(Map.of("cpu", 1, "mem", "1g", "cuda.device", 1)).at("s"));

    private static Session in(SessionStatus status, List<Kernel> kernels) {
        return new Session("s-1", "alice", SPEC, "gpu", status, "x", StatusData.NONE, List.of(new StatusChange(status, T0)), kernels,
                SessionResult.UNDEFINED, T0, Optional.empty(), Optional.empty(), 7);
    }

    private static Session forced(Session s, SessionStatus to) {
        return new Session(s.id(), s.owner(), s.spec(), s.resourceGroup(), to, "forced", s.statusData(), s.statusHistory(),
                s.kernels(), s.result(), s.createdAt(), s.startedAt(), s.terminatedAt(), s.sequence() + 1);
    }

    @Test
    void everyTransitionOutsideTheMapIsRefusedWhenTheChangeIsMade() {
        int refused = 0;
        int requeues = 0;
        for (SessionStatus from : SessionStatus.values()) {
            for (SessionStatus to : SessionStatus.values()) {
                Session stored = in(from, List.of());
                if (SessionTransitions.isRequeue(from, to)) {
                    // The retry re-queue is in the map, but a change to PENDING without the ended attempt is refused.
                    assertThatThrownBy(() -> SessionChange.update(forced(stored, to), from, 7)).isInstanceOf(IllegalTransitionException.class);
                    requeues++;
                    continue;
                }
                if (from == to || SessionTransitions.isAllowed(from, to)) {
                    assertThat(SessionChange.update(forced(stored, to), from, 7).next().status()).isEqualTo(to);
                    continue;
                }
                assertThatThrownBy(() -> SessionChange.update(forced(stored, to), from, 7)).isInstanceOf(IllegalTransitionException.class);
                assertThatThrownBy(() -> SessionChange.release(forced(stored, to), from, 7)).isInstanceOf(IllegalTransitionException.class);
                refused++;
            }
        }
        assertThat(refused).isEqualTo(11 * 10 - 47);
        assertThat(requeues).isEqualTo(SessionStatus.TO_RUN.size());
    }

    @Test
    void leavingTheOccupyingStatusesWithKernelsReservedGivesEverySlotBackOnce() {
        List<Kernel> two = List.of(new Kernel("a-1", ONE), new Kernel("a-2", ONE));
        Session running = in(SessionStatus.RUNNING, two);
        SessionChange ended = SessionChange.update(running.transitionTo(SessionStatus.TERMINATED, "done", StatusData.NONE, T0),
                SessionStatus.RUNNING, 7);
        assertThat(ended.agentSlots()).extracting(a -> a.kernel().agentId()).containsExactly("a-1", "a-2");
        assertThat(ended.agentSlots()).allMatch(a -> !a.reserve() && a.condition() instanceof SessionChange.AgentCondition.Exists);
        assertThat(ended.pointers()).singleElement().satisfies(p -> {
            assertThat(p.put()).isFalse();
            assertThat(p.index()).isEqualTo(1);
        });
        assertThat(ended.next().kernels()).allMatch(Kernel::released);
        assertThat(ended.next().sequence()).isEqualTo(8);
        assertThat(ended.items()).isEqualTo(SessionChange.transactionItems(2));

        // Already released: ending again releases nothing.
        Session error = in(SessionStatus.ERROR, two.stream().map(Kernel::release).toList());
        SessionChange again = SessionChange.update(error.transitionTo(SessionStatus.TERMINATED, "done", StatusData.NONE, T0), SessionStatus.ERROR, 7);
        assertThat(again.agentSlots()).isEmpty();
        assertThat(again.items()).isEqualTo(1);
        // Staying in an occupying status releases nothing unless asked (a lost agent's session in ERROR).
        SessionChange toError = SessionChange.update(running.transitionTo(SessionStatus.ERROR, "x", StatusData.NONE, T0), SessionStatus.RUNNING, 7);
        assertThat(toError.agentSlots()).isEmpty();
        assertThat(SessionChange.release(running.transitionTo(SessionStatus.ERROR, "x", StatusData.NONE, T0), SessionStatus.RUNNING, 7)
                .agentSlots()).hasSize(2);
    }

    @Test
    void theReleaseRuleHoldsForEveryPairOfStatuses() {
        Session placed = in(SessionStatus.RUNNING, List.of(new Kernel("a-1", ONE)));
        for (SessionStatus from : SessionStatus.values()) {
            for (SessionStatus to : SessionStatus.values()) {
                boolean expected = SessionStatus.OCCUPYING.contains(from) && !SessionStatus.OCCUPYING.contains(to);
                assertThat(SessionChange.releasesSlots(from, forced(placed, to))).as(from + " -> " + to).isEqualTo(expected);
            }
        }
    }

    @Test
    void aResolutionOfALostAgentHoldsOnlyWhileThatAgentIsStillLostAsSeen() {
        Session running = in(SessionStatus.RUNNING, List.of(new Kernel("lost", ONE), new Kernel("alive", ONE)));
        Instant seen = T0.minusSeconds(90);
        SessionChange change = SessionChange.resolveLost(running.transitionTo(SessionStatus.ERROR, "agent-lost", StatusData.NONE, T0),
                SessionStatus.RUNNING, 7, "lost", seen);
        assertThat(change.agentSlots().get(0).condition()).isEqualTo(new SessionChange.AgentCondition.Lost(seen));
        assertThat(change.agentSlots().get(1).condition()).isInstanceOf(SessionChange.AgentCondition.Exists.class);
        assertThat(change.next().status()).isEqualTo(SessionStatus.ERROR);
        assertThat(change.expectedStatus()).isEqualTo(SessionStatus.RUNNING);
    }

    @Test
    void aPlacementReservesOnAliveSchedulableAgentsAndPointsFurtherKernelsAtTheSession() {
        Session pending = Session.enqueue("s-2", "bob", SPEC, "gpu", T0);
        SessionChange change = SessionChange.place(pending, List.of(new Kernel("a-1", ONE), new Kernel("a-2", ONE), new Kernel("a-3", ONE)),
                "scheduled", StatusData.NONE, T0);
        assertThat(change.expectedStatus()).isEqualTo(SessionStatus.PENDING);
        assertThat(change.expectedSequence()).isEqualTo(pending.sequence());
        assertThat(change.next().status()).isEqualTo(SessionStatus.SCHEDULED);
        assertThat(change.agentSlots()).allMatch(a -> a.reserve() && a.condition() instanceof SessionChange.AgentCondition.AliveAndSchedulable);
        assertThat(change.pointers()).extracting(SessionChange.Pointer::index).containsExactly(1, 2);
        assertThat(change.pointers()).allMatch(SessionChange.Pointer::put);
        assertThat(change.agents()).containsExactly("a-1", "a-2", "a-3");
        assertThat(change.items()).isEqualTo(SessionChange.transactionItems(3));
        // Placing a session that is no longer pending is a transition the map forbids.
        assertThatThrownBy(() -> SessionChange.place(in(SessionStatus.RUNNING, List.of()), List.of(new Kernel("a-1", ONE)), "s", StatusData.NONE, T0))
                .isInstanceOf(IllegalTransitionException.class);
    }

    @Test
    void stepsThatArriveTogetherAreOneChangeEachStepCheckedAndOnlyTheLastGivingSlotsBack() {
        List<Kernel> two = List.of(new Kernel("a-1", ONE), new Kernel("a-2", ONE));
        Session scheduled = in(SessionStatus.SCHEDULED, two);
        Session preparing = scheduled.transitionTo(SessionStatus.PREPARING, "preparing", StatusData.NONE, T0);
        Session running = preparing.transitionTo(SessionStatus.RUNNING, "running", StatusData.NONE, T0);
        Session ended = running.transitionTo(SessionStatus.TERMINATED, "task-finished", StatusData.NONE, T0);

        SessionChange change = SessionChange.steps(scheduled, List.of(preparing, running, ended), false);
        assertThat(change.expectedStatus()).isEqualTo(SessionStatus.SCHEDULED);
        assertThat(change.expectedSequence()).isEqualTo(7);
        assertThat(change.through()).containsExactly(SessionStatus.PREPARING, SessionStatus.RUNNING);
        assertThat(change.next().status()).isEqualTo(SessionStatus.TERMINATED);
        assertThat(change.next().sequence()).isEqualTo(10);
        assertThat(change.next().unreleasedKernels()).isEmpty();
        assertThat(change.agentSlots()).extracting(a -> a.kernel().agentId()).containsExactly("a-1", "a-2");
        assertThat(change.pointers()).singleElement().satisfies(p -> assertThat(p.put()).isFalse());

        // Steps that stay in the occupying statuses: a plain change, nothing given back.
        SessionChange started = SessionChange.steps(scheduled, List.of(preparing, running), false);
        assertThat(started.agentSlots()).isEmpty();
        assertThat(started.items()).isEqualTo(1);
        assertThat(started.withOutput("out").items()).isEqualTo(2);

        // A step the map forbids, anywhere on the way, refuses the whole change.
        Session back = new Session(running.id(), running.owner(), running.spec(), running.resourceGroup(), SessionStatus.SCHEDULED, "x",
                running.statusData(), running.statusHistory(), running.kernels(), running.result(), running.createdAt(), running.startedAt(),
                running.terminatedAt(), running.sequence() + 1);
        assertThatThrownBy(() -> SessionChange.steps(scheduled, List.of(preparing, running, back), false))
                .isInstanceOf(IllegalTransitionException.class);
        // Giving slots back in any case (an agent's ERROR: nothing runs) is for the last step.
        Session failed = running.transitionTo(SessionStatus.ERROR, "failed-to-start", StatusData.NONE, T0);
        SessionChange error = SessionChange.steps(scheduled, List.of(preparing, running, failed), true);
        assertThat(error.next().status()).isEqualTo(SessionStatus.ERROR);
        assertThat(error.agentSlots()).hasSize(2);
        // An output kept with the write is small.
        assertThatThrownBy(() -> started.withOutput("x".repeat(SessionChange.MAX_STORED_OUTPUT_BYTES + 1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(SessionChange.fitsWithTheWrite("é".repeat(SessionChange.MAX_STORED_OUTPUT_BYTES / 2))).isTrue();
        assertThat(SessionChange.fitsWithTheWrite("é".repeat(SessionChange.MAX_STORED_OUTPUT_BYTES / 2 + 1))).isFalse();
    }

    @Test
    void theStatusSetsAreDefinedOnceAndAgreeWithEachOther() {
        assertThat(SessionStatus.FINAL).containsExactlyInAnyOrder(SessionStatus.TERMINATED, SessionStatus.CANCELLED);
        assertThat(SessionStatus.DEAD).containsAll(SessionStatus.FINAL).contains(SessionStatus.ERROR).hasSize(3);
        assertThat(EnumSet.copyOf(SessionStatus.OPEN)).isEqualTo(EnumSet.complementOf(EnumSet.copyOf(SessionStatus.FINAL)));
        assertThat(SessionStatus.OCCUPYING).containsAll(SessionStatus.TO_RUN).doesNotContain(SessionStatus.PENDING)
                .doesNotContainAnyElementsOf(SessionStatus.FINAL);
        assertThat(SessionStatus.TO_RUN).containsAll(SessionStatus.RUNNING_NOW).doesNotContain(SessionStatus.ERROR, SessionStatus.TERMINATING);
        for (SessionStatus s : SessionStatus.values()) {
            assertThat(s.isFinal()).isEqualTo(SessionStatus.FINAL.contains(s));
            assertThat(s.occupiesSlots()).isEqualTo(SessionStatus.OCCUPYING.contains(s));
            // a final status has no way out; every other has one
            assertThat(SessionTransitions.targetsFrom(s).isEmpty()).isEqualTo(s.isFinal());
        }
    }
}
