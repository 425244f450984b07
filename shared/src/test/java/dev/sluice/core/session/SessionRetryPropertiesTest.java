package dev.sluice.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.agent.KernelReport;
import dev.sluice.core.agent.KernelReports;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.slots.ResourceSlots;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The transition map with the retry re-queue, as properties: whatever the rules and however attempts end (an agent's
 * end report with any exit code, failed to start or staging folders, a lost agent, a spot interruption, a destroy),
 * every change is one the map allows, a session goes back to PENDING only while its rules say retry and attempts
 * remain, it never takes more attempts than it may, each re-queue gives back exactly the slots it held, and the
 * attempts history numbers every ended attempt with only the last one standing.
 */
class SessionRetryPropertiesTest {
    private static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");
    private static final ResourceSlots ONE = ResourceSlots.parse(RequestFields.of(Map.of("cpu", 1, "mem", "1g")).at("s"));

    /** How one attempt ends. */
    record End(String kind, int exitCode) {
    }

    @Provide
    Arbitrary<Map<String, Object>> rule() {
        Arbitrary<String> on = Arbitraries.of("spot-interrupted", "agent-lost", "folder-staging-failed", "exit-code", "status-info");
        Arbitrary<String> action = Arbitraries.of("retry", "retry", "exit");
        Arbitrary<String> codes = Combinators.combine(Arbitraries.integers().between(-5, 140), Arbitraries.integers().between(0, 10))
                .as((a, n) -> a + "-" + (a + n));
        Arbitrary<String> pattern = Arbitraries.of("task-*", "*-lost", "spot-*", "*");
        return Combinators.combine(on, action, codes, pattern).as((o, a, c, p) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("on", o);
            m.put("action", a);
            if (o.equals("exit-code")) {
                m.put("codes", c);
            }
            if (o.equals("status-info")) {
                m.put("pattern", p);
            }
            return m;
        });
    }

    @Provide
    Arbitrary<List<End>> ends() {
        return Combinators.combine(Arbitraries.of("exit", "exit", "failed-to-start", "folder-staging-failed", "agent-lost",
                        "spot-interrupted", "destroyed"), Arbitraries.integers().between(-3, 140))
                .as(End::new).list().ofMinSize(1).ofMaxSize(12);
    }

    @Property(tries = 300)
    void retriesFollowTheRulesAndTheMap(@ForAll("ends") List<End> ends, @ForAll("attempts") int attempts,
                                        @ForAll("rules") List<Map<String, Object>> rules) {
        Map<String, Object> body = new LinkedHashMap<>(Map.of("image", "python:3.12", "type", "batch", "startup_command", "train",
                "resource_slots", Map.of("cpu", 1, "mem", "1g")));
        body.put("retry", Map.of("attempts", attempts, "rules", rules));
        SessionSpec spec = SessionSpec.parse(RequestFields.of(body), T0);
        RetryPolicy policy = spec.retry().orElseThrow();
        Session s = Session.enqueue("s-1", "alice", spec, "gpu", T0);
        int t = 0;
        int requeues = 0;
        for (End end : ends) {
            if (s.status() != SessionStatus.PENDING) {
                break; // the end stood
            }
            String agent = "i-0000000000000000" + (t % 10);
            SessionChange placed = SessionChange.place(s, List.of(new Kernel(agent, ONE)), "scheduled", StatusData.NONE, T0.plusSeconds(++t));
            Session running = placed.next().transitionTo(SessionStatus.PREPARING, "preparing", StatusData.NONE, T0.plusSeconds(++t))
                    .transitionTo(SessionStatus.RUNNING, "running", StatusData.NONE, T0.plusSeconds(++t));
            Instant now = T0.plusSeconds(++t);
            SessionChange change;
            RetryPolicy.End seen;
            switch (end.kind()) {
                case "agent-lost", "spot-interrupted" -> {
                    Session ended = running.transitionTo(SessionStatus.ERROR, end.kind(), StatusData.NONE, now);
                    change = SessionChange.resolveLost(SessionRetry.afterEnd(running, ended, now), running.status(), running.sequence(),
                            agent, T0);
                    seen = new RetryPolicy.End(SessionStatus.ERROR, end.kind(), Optional.empty());
                }
                case "destroyed" -> {
                    Session terminating = running.transitionTo(SessionStatus.TERMINATING, "user-requested", StatusData.NONE, now);
                    change = apply(terminating, agent, Map.of("status", "TERMINATED", "exit_code", end.exitCode()), now);
                    seen = null;
                }
                case "exit" -> {
                    change = apply(running, agent, Map.of("status", "TERMINATED", "exit_code", end.exitCode()), now);
                    seen = new RetryPolicy.End(SessionStatus.TERMINATED, end.exitCode() == 0 ? "task-finished" : "task-failed",
                            Optional.of(end.exitCode()));
                }
                default -> {
                    change = apply(running, agent, Map.of("status", "ERROR", "reason", end.kind()), now);
                    seen = new RetryPolicy.End(SessionStatus.ERROR, end.kind(), Optional.empty());
                }
            }
            Session next = change.next();
            // A batch success (exit 0) and a destroy are never retried; any other end as the rules say.
            boolean expectRetry = seen != null && seen.exitCode().filter(c -> c == 0).isEmpty()
                    && policy.evaluate(seen, requeues + 1).retry();
            // Every change is one the map allows (the change checks it when it is made); here what it decided.
            if (expectRetry) {
                requeues++;
                assertThat(next.status()).isEqualTo(SessionStatus.PENDING);
                assertThat(next.kernels()).isEmpty();
                assertThat(change.agentSlots()).singleElement().satisfies(a -> {
                    assertThat(a.reserve()).isFalse();
                    assertThat(a.kernel().agentId()).isEqualTo(agent);
                });
                assertThat(SessionTransitions.isRequeue(change.through().isEmpty() ? change.expectedStatus()
                        : change.through().get(change.through().size() - 1), next.status())).isTrue();
            } else {
                assertThat(next.status()).isIn(SessionStatus.TERMINATED, SessionStatus.ERROR);
                assertThat(next.occupiedSlots().isEmpty() || next.status() == SessionStatus.ERROR).isTrue();
            }
            s = next;
        }
        assertThat(s.attempts().size()).isLessThanOrEqualTo(policy.attempts());
        assertThat(requeues).isLessThanOrEqualTo(policy.attempts() - 1);
        for (int i = 0; i < s.attempts().size(); i++) {
            Attempt a = s.attempts().get(i);
            assertThat(a.number()).isEqualTo(i + 1);
            assertThat(a.retried()).isEqualTo(i < s.attempts().size() - 1 || s.status() == SessionStatus.PENDING);
        }
        assertThat(s.attempt()).isEqualTo(requeues + 1);
    }

    private static SessionChange apply(Session current, String agent, Map<String, Object> report, Instant now) {
        KernelReports.Decision d = KernelReports.decide(current, agent, KernelReport.parse(RequestFields.of(report)), now);
        KernelReports.Decision.Apply apply = (KernelReports.Decision.Apply) d;
        return SessionChange.steps(current, List.of(apply.next()), apply.releaseSlots());
    }

    @Provide
    Arbitrary<Integer> attempts() {
        return Arbitraries.integers().between(1, RetryPolicy.MAX_ATTEMPTS);
    }

    @Provide
    Arbitrary<List<Map<String, Object>>> rules() {
        return rule().list().ofMinSize(1).ofMaxSize(5);
    }
}
