package dev.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ledger entry's state machine, and the ledger file as the previous agent wrote it. */
class LedgerEntryTest {
    @TempDir
    Path work;

    @Test
    void aSessionStepsForwardToRunningThenOnlyToItsEnd() {
        LedgerEntry e = LedgerEntry.assigned("s-1", "s-1-0", "batch", 60L);
        e.step(LedgerEntry.State.PREPARING, 1);
        e.step(LedgerEntry.State.PULLING, 2); // staging says preparing, then the container runtime pulls
        e.step(LedgerEntry.State.PREPARING, 3);
        e.step(LedgerEntry.State.RUNNING, 4);
        assertThat(e.accepts(LedgerEntry.State.PREPARING)).isFalse();
        assertThatThrownBy(() -> e.step(LedgerEntry.State.PREPARING, 5)).isInstanceOf(IllegalStateException.class);
        assertThat(e.timesOut(4 + 59_999)).isFalse();
        assertThat(e.timesOut(4 + 60_000)).isTrue();
        assertThat(e.timesOut(4 + 70_000)).as("stopped once").isFalse();
        e.enqueue(Map.of("status", "TERMINATED", "exit_code", 143));
        e.end(70_000, true);
        assertThat(e.state()).isEqualTo(LedgerEntry.State.ENDED);
        assertThat(e.accepts(LedgerEntry.State.RUNNING)).isFalse();
        assertThatThrownBy(() -> e.end(70_001, true)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> e.allocate(List.of("GPU-a"))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void anEndWithNothingOnTheHostNeedsNoCleanupAndIsNotSaidAgain() {
        LedgerEntry e = LedgerEntry.assigned("s-1", "s-1-0", "interactive", null);
        e.enqueue(Map.of("status", "ERROR", "reason", "failed-to-start"));
        e.end(1, false);
        assertThat(e.removed()).isTrue();
        e.acknowledged(e.pending().get(0));
        assertThat(e.endToRepeat()).isEmpty();
    }

    @Test
    void aLedgerWrittenByThePreviousAgentIsReadAndWrittenBackInTheSameShape() throws Exception {
        Path file = work.resolve("ledger.json");
        // As agent 0.2.0 wrote it (public fields, states as strings).
        Files.writeString(file, "[{\"sessionId\":\"s-1\",\"kernelId\":\"s-1-0\",\"type\":\"batch\",\"batchTimeoutSeconds\":60,"
                + "\"state\":\"RUNNING\",\"gpus\":[\"GPU-a\"],\"runningSince\":5,\"endedAt\":null,\"stopRequested\":true,"
                + "\"stopRequestedAt\":7,\"lastEnd\":null,\"timedOut\":false,\"removed\":false,\"logsHash\":42,\"nextSeq\":3,"
                + "\"pending\":[{\"status\":\"RUNNING\",\"container_id\":\"c-1\",\"seq\":2}]},"
                + "{\"sessionId\":\"s-2\",\"kernelId\":\"s-2-0\",\"type\":\"interactive\",\"batchTimeoutSeconds\":null,"
                + "\"state\":\"ENDED\",\"gpus\":[],\"runningSince\":5,\"endedAt\":9,\"stopRequested\":false,"
                + "\"stopRequestedAt\":null,\"lastEnd\":{\"status\":\"TERMINATED\",\"exit_code\":0,\"seq\":4},\"timedOut\":false,"
                + "\"removed\":true,\"logsHash\":0,\"nextSeq\":5,\"pending\":[]}]");
        Ledger ledger = Ledger.load(file);
        LedgerEntry running = ledger.get("s-1");
        assertThat(running.state()).isEqualTo(LedgerEntry.State.RUNNING);
        assertThat(running.gpus()).containsExactly("GPU-a");
        assertThat(running.stopRequested()).isTrue();
        assertThat(running.logsHash()).isEqualTo(42);
        assertThat(running.pending()).containsExactly(new LedgerEntry.Pending(2, Map.of("status", "RUNNING", "container_id", "c-1")));
        assertThat(running.enqueue(Map.of("status", "TERMINATED")).seq()).as("numbering goes on").isEqualTo(3);
        assertThat(ledger.get("s-2").endToRepeat()).contains(Map.of("status", "TERMINATED", "exit_code", 0));

        ledger.save();
        String written = Files.readString(file);
        assertThat(written).contains("\"sessionId\":\"s-1\"", "\"state\":\"RUNNING\"", "\"nextSeq\":4", "\"seq\":2", "\"seq\":3",
                "\"stopRequestedAt\":7", "\"removed\":true");
        Ledger again = Ledger.load(file);
        assertThat(again.get("s-1").pending()).hasSize(2);
        assertThat(again.get("s-2").state()).isEqualTo(LedgerEntry.State.ENDED);
    }
}
