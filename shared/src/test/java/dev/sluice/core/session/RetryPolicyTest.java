package dev.sluice.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import dev.sluice.core.request.RequestFields;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A session's retry rules: read field by field from a create request, and evaluated in order on an attempt's end. */
class RetryPolicyTest {
    private static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");

    private static Map<String, Object> rule(String on, String action, Object... more) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("on", on);
        m.put("action", action);
        for (int i = 0; i < more.length; i += 2) {
            m.put((String) more[i], more[i + 1]);
        }
        return m;
    }

    private static SessionSpec spec(Object retry) {
        Map<String, Object> body = new LinkedHashMap<>(Map.of("image", "python:3.12", "type", "batch", "startup_command", "train",
                "resource_slots", Map.of("cpu", 1, "mem", "1g")));
        if (retry != null) {
            body.put("retry", retry);
        }
        return SessionSpec.parse(RequestFields.of(body), T0);
    }

    private static RetryPolicy policy(int attempts, Object... rules) {
        return spec(Map.of("attempts", attempts, "rules", List.of(rules))).retry().orElseThrow();
    }

    private static DomainException refusal(Object retry) {
        try {
            spec(retry);
        } catch (DomainException e) {
            return e;
        }
        throw new AssertionError("accepted " + retry);
    }

    private static RetryPolicy.End error(String info) {
        return new RetryPolicy.End(SessionStatus.ERROR, info, Optional.empty());
    }

    private static RetryPolicy.End exit(int code) {
        return new RetryPolicy.End(SessionStatus.TERMINATED, "task-failed", Optional.of(code));
    }

    @Test
    void aCreateRequestCarriesItsRulesInOrderAndTheWireFormRoundTrips() {
        RetryPolicy p = policy(3, rule("spot-interrupted", "retry"), rule("exit-code", "exit", "codes", "1-5, 137,143"),
                rule("status-info", "retry", "pattern", "task-*"));
        assertThat(p.attempts()).isEqualTo(3);
        assertThat(p.rules()).extracting(RetryPolicy.Rule::on).containsExactly(RetryPolicy.Condition.SPOT_INTERRUPTED,
                RetryPolicy.Condition.EXIT_CODE, RetryPolicy.Condition.STATUS_INFO);
        assertThat(p.rules().get(1).codes()).containsExactly(new RetryPolicy.CodeRange(1, 5), new RetryPolicy.CodeRange(137, 137),
                new RetryPolicy.CodeRange(143, 143));
        assertThat(p.toWire()).isEqualTo(dev.sluice.core.json.JsonObject.builder().put("attempts", 3).put("rules", List.of(
                Map.of("on", "spot-interrupted", "action", "retry"),
                Map.of("on", "exit-code", "action", "exit", "codes", "1-5,137,143"),
                Map.of("on", "status-info", "action", "retry", "pattern", "task-*"))).build());
        assertThat(RetryPolicy.fromWire(p.toWire())).isEqualTo(p);
        assertThat(spec(null).retry()).isEmpty();
    }

    @Test
    void eachRefusalNamesTheFieldByItsPathAndIsASentenceThatChangesNothing() {
        record Case(Object retry, String field, String says) {
        }
        List<Case> cases = List.of(
                new Case("3", "retry", "must be an object"),
                new Case(Map.of("rules", List.of(rule("agent-lost", "retry"))), "retry.attempts", "is required"),
                new Case(Map.of("attempts", 0, "rules", List.of(rule("agent-lost", "retry"))), "retry.attempts", "between 1 and 10"),
                new Case(Map.of("attempts", 11, "rules", List.of(rule("agent-lost", "retry"))), "retry.attempts", "between 1 and 10"),
                new Case(Map.of("attempts", 2), "retry.rules", "is required"),
                new Case(Map.of("attempts", 2, "rules", List.of()), "retry.rules", "1 to 16 rules"),
                new Case(Map.of("attempts", 2, "rules", "agent-lost"), "retry.rules", "must be a list"),
                new Case(Map.of("attempts", 2, "rules", List.of("agent-lost")), "retry.rules[0]", "must be an object"),
                new Case(Map.of("attempts", 2, "max", 1, "rules", List.of(rule("agent-lost", "retry"))), "retry.max", "is not a known field"),
                new Case(Map.of("attempts", 2, "rules", List.of(rule("agent-lost", "retry"), rule("exit-code", "retry", "codes", "1-x"))),
                        "retry.rules[1].codes", "'1-x' is neither"),
                new Case(Map.of("attempts", 2, "rules", List.of(rule("agent-lost", "retry"), rule("exit-code", "retry", "codes", "9-3"))),
                        "retry.rules[1].codes", "ends before it starts"),
                new Case(Map.of("attempts", 2, "rules", List.of(rule("exit-code", "retry", "codes", "1,300"))),
                        "retry.rules[0].codes", "from -255 to 255"),
                new Case(Map.of("attempts", 2, "rules", List.of(rule("exit-code", "retry"))), "retry.rules[0].codes", "is required for exit-code"),
                new Case(Map.of("attempts", 2, "rules", List.of(rule("agent-lost", "retry", "codes", "1"))), "retry.rules[0].codes",
                        "is only for a rule on exit-code"),
                new Case(Map.of("attempts", 2, "rules", List.of(rule("status-info", "retry"))), "retry.rules[0].pattern", "is required"),
                new Case(Map.of("attempts", 2, "rules", List.of(rule("status-info", "retry", "pattern", "a b"))), "retry.rules[0].pattern",
                        "must be 1-64 characters"),
                new Case(Map.of("attempts", 2, "rules", List.of(rule("spot", "retry"))), "retry.rules[0].on", "must be one of"),
                new Case(Map.of("attempts", 2, "rules", List.of(rule("agent-lost", "again"))), "retry.rules[0].action",
                        "must be retry or exit, not 'again'"),
                new Case(Map.of("attempts", 2, "rules", List.of(Map.of("on", "agent-lost"))), "retry.rules[0].action", "is required"),
                new Case(Map.of("attempts", 2, "rules", List.of(rule("agent-lost", "retry", "when", "x"))), "retry.rules[0].when",
                        "is not a known field"),
                new Case(Map.of("attempts", 2, "on_demand_after", 0, "rules", List.of(rule("spot-interrupted", "retry"))),
                        "retry.on_demand_after", "between 1 and 10"));
        for (Case c : cases) {
            DomainException e = refusal(c.retry());
            assertThat(e.code()).as(c.field()).isEqualTo(ErrorCode.INVALID_FIELD);
            assertThat(e.field()).as(String.valueOf(c.retry())).contains(c.field());
            assertThat(e.getMessage()).as(c.field()).startsWith(c.field() + " ").contains(c.says()).endsWith(".");
        }
    }

    @ParameterizedTest
    @CsvSource({"1-5,1,true", "1-5,5,true", "1-5,6,false", "'1-5,137,143',137,true", "'1-5,137,143',138,false",
            "-5--1,-3,true", "-5--1,0,false", "0,0,true", "255,255,true"})
    void exitCodeRangesAreInclusive(String codes, int code, boolean retried) {
        RetryPolicy p = policy(2, rule("exit-code", "retry", "codes", codes));
        assertThat(p.evaluate(exit(code), 1).retry()).isEqualTo(retried);
    }

    @Test
    void theFirstMatchingRuleDecidesInOrder() {
        RetryPolicy exitFirst = policy(3, rule("exit-code", "exit", "codes", "137"), rule("exit-code", "retry", "codes", "1-255"));
        assertThat(exitFirst.evaluate(exit(137), 1)).isEqualTo(new RetryPolicy.Verdict(false, 1,
                "rule 1 (exit on exit-code 137) matched: the end stands"));
        assertThat(exitFirst.evaluate(exit(3), 1)).isEqualTo(new RetryPolicy.Verdict(true, 2,
                "rule 2 (retry on exit-code 1-255) matched: re-queued as attempt 2 of 3"));
        RetryPolicy retryFirst = policy(3, rule("exit-code", "retry", "codes", "1-255"), rule("exit-code", "exit", "codes", "137"));
        assertThat(retryFirst.evaluate(exit(137), 1).retry()).isTrue();
    }

    @Test
    void eachConditionMatchesItsOwnEnd() {
        RetryPolicy p = policy(5, rule("spot-interrupted", "retry"), rule("agent-lost", "retry"), rule("folder-staging-failed", "retry"),
                rule("status-info", "retry", "pattern", "task-time?ut"));
        assertThat(p.evaluate(error("spot-interrupted"), 1).rule()).isEqualTo(1);
        assertThat(p.evaluate(error("agent-lost"), 1).rule()).isEqualTo(2);
        assertThat(p.evaluate(error("folder-staging-failed"), 1).rule()).isEqualTo(3);
        assertThat(p.evaluate(new RetryPolicy.End(SessionStatus.TERMINATED, "task-timeout", Optional.of(137)), 1).rule()).isEqualTo(4);
        // An exit code with no rule on it, a failure to start: no rule matches and the end stands (the default is exit).
        assertThat(p.evaluate(exit(1), 1)).isEqualTo(new RetryPolicy.Verdict(false, 0, "no retry rule matched: the end stands"));
        assertThat(p.evaluate(error("failed-to-start"), 1).retry()).isFalse();
    }

    @Test
    void aRetryRuleLetsTheEndStandOnceTheAttemptsAreUsed() {
        RetryPolicy p = policy(3, rule("agent-lost", "retry"));
        assertThat(p.evaluate(error("agent-lost"), 1).retry()).isTrue();
        assertThat(p.evaluate(error("agent-lost"), 2).retry()).isTrue();
        assertThat(p.evaluate(error("agent-lost"), 3)).isEqualTo(new RetryPolicy.Verdict(false, 1,
                "rule 1 (retry on agent-lost) matched, but all 3 attempts are used: the end stands"));
        assertThat(policy(1, rule("agent-lost", "retry")).evaluate(error("agent-lost"), 1).retry()).isFalse();
    }

    @Test
    void onDemandAfterCountsSpotInterruptionsAndRoundTrips() {
        RetryPolicy p = spec(Map.of("attempts", 4, "on_demand_after", 2, "rules", List.of(rule("spot-interrupted", "retry"))))
                .retry().orElseThrow();
        assertThat(p.onDemandAfter()).contains(2);
        assertThat(p.onDemandOnlyAfter(1)).isFalse();
        assertThat(p.onDemandOnlyAfter(2)).isTrue();
        assertThat(RetryPolicy.fromWire(p.toWire())).isEqualTo(p);
        assertThat(policy(4, rule("spot-interrupted", "retry")).onDemandOnlyAfter(9)).as("without the switch, never").isFalse();
    }

    @Test
    void globsMatchTheWholeStatusInfo() {
        assertThat(RetryPolicy.globMatches("task-*", "task-failed")).isTrue();
        assertThat(RetryPolicy.globMatches("task-*", "a-task-failed")).isFalse();
        assertThat(RetryPolicy.globMatches("*lost", "agent-lost")).isTrue();
        assertThat(RetryPolicy.globMatches("agent.lost", "agent-lost")).isFalse();
        assertThat(RetryPolicy.globMatches("?", "ab")).isFalse();
    }
}
