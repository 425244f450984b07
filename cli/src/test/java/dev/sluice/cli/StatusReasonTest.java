package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

class StatusReasonTest {

    private static String reason(String statusInfo, String statusData) throws Exception {
        JsonNode session = Json.MAPPER.readTree("{\"status\":\"PENDING\",\"status_info\":\"" + statusInfo
                + "\",\"status_data\":" + statusData + "}");
        return StatusReason.of(session);
    }

    @Test
    void theSchedulersReasonsSayWaitingOrNeverInOnePhrase() throws Exception {
        assertThat(reason("no-available-instances", "{\"reason\":\"waiting-for-capacity\",\"waiting\":true}"))
                .isEqualTo("waiting for free capacity");
        assertThat(reason("no-available-instances", "{\"reason\":\"larger-than-any-agent\",\"waiting\":false}"))
                .startsWith("NEVER FITS");
        assertThat(reason("no-available-instances", "{\"reason\":\"too-many-kernels\",\"waiting\":false}"))
                .startsWith("NEVER FITS").contains("kernels");
        assertThat(reason("predicate-checks-failed", "{\"reason\":\"waiting-for-quota\","
                + "\"failed_predicates\":[{\"name\":\"concurrency\",\"msg\":\"you already run 2 of at most 2 sessions\"}]}"))
                .isEqualTo("blocked by concurrency (you already run 2 of at most 2 sessions)");
    }

    @Test
    void aPullingSessionSaysHowFarItsPullIsAndOnlyWhilePulling() throws Exception {
        String pull = "\"runtime\":{\"pull\":{\"bytes_done\":12345678,\"bytes_total\":40000000,\"layers_done\":1,\"layers_total\":3}}";
        assertThat(StatusReason.of(Json.MAPPER.readTree("{\"status\":\"PULLING\",\"status_info\":\"pulling\",\"status_data\":{}," + pull + "}")))
                .isEqualTo("pulling 12.3 MB of 40.0 MB, 1 of 3 layers");
        assertThat(StatusReason.of(Json.MAPPER.readTree("{\"status\":\"PULLING\",\"status_info\":\"pulling\",\"status_data\":{},\"runtime\":{}}")))
                .as("nothing heard yet").isEqualTo("pulling");
        assertThat(StatusReason.of(Json.MAPPER.readTree("{\"status\":\"RUNNING\",\"status_info\":\"running\",\"status_data\":{}," + pull + "}")))
                .as("the last pull stays on the session but is not news once it runs").isEqualTo("running");
        assertThat(StatusReason.bytes(999)).isEqualTo("999 B");
        assertThat(StatusReason.bytes(1_000)).isEqualTo("1.0 kB");
        assertThat(StatusReason.bytes(2_500_000_000L)).isEqualTo("2.5 GB");
    }

    @Test
    void aSessionWaitingForAnInstanceSaysWhichAndWhenItIsExpected() throws Exception {
        java.time.Instant now = java.time.Instant.parse("2026-12-03T12:00:12Z");
        String data = "{\"reason\":\"provisioning\",\"waiting\":true,\"provisioning\":{\"instance_id\":\"i-0abc\","
                + "\"instance_type\":\"g5.xlarge\",\"zone\":\"us-east-1a\",\"purchase_option\":\"spot\","
                + "\"since\":\"2026-12-03T12:00:00Z\",\"eta\":\"2026-12-03T12:01:32Z\"}}";
        JsonNode statusData = Json.MAPPER.readTree(data);
        assertThat(StatusReason.of("no-available-instances", statusData, now)).isEqualTo("provisioning g5.xlarge (spot, us-east-1a), ETA 80 s");
        assertThat(StatusReason.of("no-available-instances", statusData, now.plusSeconds(200)))
                .as("past its expected time").isEqualTo("provisioning g5.xlarge (spot, us-east-1a), ETA any moment");
        assertThat(StatusReason.of("no-available-instances", statusData, now.minusSeconds(600)))
                .as("long ones in minutes").isEqualTo("provisioning g5.xlarge (spot, us-east-1a), ETA 12 min");
        assertThat(reason("no-available-instances", "{\"reason\":\"fleet-at-max\",\"waiting\":true}"))
                .isEqualTo("waiting: the fleet may launch no more instances now");
    }

    @Test
    void aNewPendingSessionIsWaitingToBeScheduled() throws Exception {
        assertThat(reason("enqueued", "{}")).isEqualTo("waiting to be scheduled");
    }

    @Test
    void aTimedOutSessionSaysItTimedOutWaitingAndAfterHowLong() throws Exception {
        assertThat(reason("pending-timeout", "{}")).isEqualTo("timed out waiting");
        assertThat(reason("pending-timeout", "{\"pending_timeout\":\"30m\"}")).isEqualTo("timed out waiting (30m)");
    }

    @Test
    void failedPredicateChecksNameThePredicateAndItsMessage() throws Exception {
        assertThat(reason("predicate-checks-failed",
                "{\"retries\":3,\"failed_predicates\":[{\"name\":\"concurrency\",\"msg\":\"you may run 2 sessions at once\"}],"
                        + "\"passed_predicates\":[{\"name\":\"dependencies\"}]}"))
                .isEqualTo("blocked by concurrency (you may run 2 sessions at once)");
    }

    @Test
    void aFailedPredicateWithoutAMessageIsExplainedByItsName() throws Exception {
        assertThat(reason("predicate-checks-failed", "{\"failed_predicates\":[\"reserved_time\"]}"))
                .isEqualTo("blocked by reserved_time (its start time has not come)");
        assertThat(reason("predicate-checks-failed", "{\"failed_predicates\":[{\"name\":\"new_rule\"}]}"))
                .isEqualTo("blocked by new_rule");
    }

    @Test
    void severalFailedPredicatesNameTheFirstAndCountTheRest() throws Exception {
        assertThat(reason("predicate-checks-failed",
                "{\"scheduler\":{\"failed_predicates\":[{\"name\":\"dependencies\"},{\"name\":\"concurrency\"},{\"name\":\"group_resource_limit\"}]}}"))
                .isEqualTo("blocked by dependencies (waiting for its dependencies) (+2 more)");
    }

    @Test
    void failedPredicateChecksWithoutDetailStillSaySo() throws Exception {
        assertThat(reason("predicate-checks-failed", "{}")).isEqualTo("scheduling checks failed");
    }

    @Test
    void noAgentFittingIsSaidPlainly() throws Exception {
        assertThat(reason("no-available-instances", "{}")).isEqualTo("no agent has enough free capacity");
    }

    @Test
    void endingsCarryTheExitCodeWhenKnown() throws Exception {
        assertThat(reason("task-failed", "{\"exit_code\":3}")).isEqualTo("command failed (exit 3)");
        assertThat(reason("user-requested", "{\"forced\":false}")).isEqualTo("requested by the user");
    }

    @Test
    void anUnknownCodeReadsAsWords() throws Exception {
        assertThat(reason("dependency-cancelled", "{}")).isEqualTo("dependency cancelled");
        assertThat(reason("", "{}")).isEmpty();
    }
}
