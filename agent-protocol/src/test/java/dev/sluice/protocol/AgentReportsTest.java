package dev.sluice.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The wire shape both sides use: what one writes the other reads back, and a malformed report names its field. */
class AgentReportsTest {
    @Test
    void aReportAndAResultReadBackAsWritten() {
        AgentReports.Report r = new AgentReports.Report("s-1", 3, Map.of("status", "TERMINATED", "exit_code", 0), Optional.of("out\n"));
        Map<String, Object> wire = r.toWire();
        assertThat(wire).containsEntry("session_id", "s-1").containsEntry("seq", 3L).containsEntry("status", "TERMINATED")
                .containsEntry("logs", "out\n");
        assertThat(AgentReports.Report.fromWire(wire)).isEqualTo(r);
        AgentReports.Result result = new AgentReports.Result("s-1", 3, AgentReports.Outcome.NOT_FOUND, Optional.empty(),
                Optional.of("There is no session 's-1' on this agent."));
        assertThat(result.toWire()).containsEntry("outcome", "not_found");
        assertThat(AgentReports.Result.fromWire(result.toWire())).isEqualTo(result);
    }

    @Test
    void onlyRetryKeepsAReport() {
        for (AgentReports.Outcome o : AgentReports.Outcome.values()) {
            assertThat(o.retry()).as(o.name()).isEqualTo(o == AgentReports.Outcome.RETRY);
            assertThat(AgentReports.Outcome.fromWire(o.wireName())).isEqualTo(o);
        }
    }

    @Test
    void aMalformedReportOrListNamesItsFieldInASentence() {
        assertThatThrownBy(() -> AgentReports.Report.fromWire(Map.of("seq", 1, "status", "RUNNING")))
                .isInstanceOf(AgentReports.Malformed.class).hasMessage("Each report must name its session in session_id (a string).")
                .extracting(e -> ((AgentReports.Malformed) e).field()).isEqualTo("session_id");
        assertThatThrownBy(() -> AgentReports.Report.fromWire(Map.of("session_id", "s", "seq", 0)))
                .extracting(e -> ((AgentReports.Malformed) e).field()).isEqualTo("seq");
        assertThatThrownBy(() -> AgentReports.Report.fromWire(Map.of("session_id", "s", "seq", 1.5)))
                .extracting(e -> ((AgentReports.Malformed) e).field()).isEqualTo("seq");
        assertThatThrownBy(() -> AgentReports.Report.fromWire("RUNNING")).extracting(e -> ((AgentReports.Malformed) e).field()).isEqualTo("reports");
        assertThatThrownBy(() -> AgentReports.reportsOf(Map.of("reports", "x"))).extracting(e -> ((AgentReports.Malformed) e).field()).isEqualTo("reports");
        assertThatThrownBy(() -> AgentReports.reportsOf(Map.of("reports", java.util.Collections.nCopies(101, Map.of()))))
                .hasMessageContaining("at most 100");
        assertThat(AgentReports.reportsOf(Map.of())).isEmpty();
        assertThat(AgentReports.reportsOf(Map.of("reports", List.of(Map.of())))).hasSize(1);
    }
}
