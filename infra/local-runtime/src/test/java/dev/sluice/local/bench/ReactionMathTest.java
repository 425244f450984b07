package dev.sluice.local.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fleet reaction benchmark's arithmetic: medians, the whole-second launch time window, path over baseline. */
class ReactionMathTest {

    @Test
    void theMedianIsTheMiddleValueOrTheMeanOfTheTwoMiddleOnesWhateverTheOrder() {
        assertThat(ReactionMath.median(List.of(900.0, 100.0, 300.0))).isEqualTo(300.0);
        assertThat(ReactionMath.median(List.of(4.0, 1.0, 3.0, 2.0))).isEqualTo(2.5);
        assertThat(ReactionMath.median(List.of(7.0))).isEqualTo(7.0);
        assertThatThrownBy(() -> ReactionMath.median(List.of())).hasMessageContaining("no values");
    }

    @Test
    void aLaunchTimeTruncatedToTheSecondBoundsTheLaunchToTheSecondAfterIt() {
        Instant created = Instant.parse("2026-12-03T19:00:00.700Z");
        // the emulator writes 19:00:01.000 for a launch at 19:00:01.y: 300 ms to 1300 ms after the creation
        double[] w = ReactionMath.truncatedSecondWindow(created, Instant.parse("2026-12-03T19:00:01Z"));
        assertThat(w[0]).isEqualTo(300.0);
        assertThat(w[1]).isEqualTo(1300.0);
        // a launch in the same second as the creation: the window starts before it
        assertThat(ReactionMath.truncatedSecondWindow(created, Instant.parse("2026-12-03T19:00:00Z"))[0]).isEqualTo(-700.0);
    }

    @Test
    void aLaunchRequestAgreesWithTheLaunchTimeWhenTheLaunchFollowsItWithinTheCall() {
        Instant since = Instant.parse("2026-12-03T19:00:00.950Z");
        java.time.Duration call = java.time.Duration.ofMillis(500);
        // launched at 19:00:01.1 (written 19:00:01): the call took 150 ms
        assertThat(ReactionMath.consistent(since, Instant.parse("2026-12-03T19:00:01Z"), call)).isTrue();
        // launched within the same second as the request
        assertThat(ReactionMath.consistent(since, Instant.parse("2026-12-03T19:00:00Z"), call)).isTrue();
        // an instance launched a second before the request was not launched by it
        assertThat(ReactionMath.consistent(since, Instant.parse("2026-12-03T18:59:59Z"), call)).isFalse();
        // nor one launched 2 s after it
        assertThat(ReactionMath.consistent(since, Instant.parse("2026-12-03T19:00:02Z"), call)).isFalse();
    }

    @Test
    void thePathIsComparedToTheBaselineByTheirMediansNotRoundByRound() {
        double[] vs = ReactionMath.versusBaseline(List.of(400.0, 1200.0, 500.0), List.of(50.0, 100.0, 1000.0));
        assertThat(vs[0]).isCloseTo(5.0, within(1e-9));
        assertThat(vs[1]).isEqualTo(400.0);
        assertThat(ReactionMath.millis(Instant.parse("2026-12-03T19:00:01Z"), Instant.parse("2026-12-03T19:00:00.250Z"))).isEqualTo(-750.0);
    }
}
