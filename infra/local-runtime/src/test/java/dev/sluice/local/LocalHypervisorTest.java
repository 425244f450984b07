package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.adapters.json.Json;
import dev.sluice.core.fleet.FleetCatalog;
import dev.sluice.core.fleet.Subnet;
import dev.sluice.core.request.RequestFields;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;

/** The hypervisor's pure decisions: which agents start and stop, their slots, the warning's shape, the local catalog. */
class LocalHypervisorTest {
    private static final Instant NOW = Instant.parse("2026-12-03T18:00:00Z");
    private static final Duration BOOT = Duration.ofSeconds(5);

    private static LocalHypervisor.Observed instance(String id, String state, Instant launched) {
        return new LocalHypervisor.Observed(id, "gpu-a100", "g5.xlarge", state, "us-east-1a", launched);
    }

    @Test
    void aRunningInstanceGetsItsAgentOnlyOnceTheBootDelaySinceItsLaunchHasPassed() {
        var young = instance("i-00000001", "running", NOW.minusSeconds(4));
        var due = instance("i-00000002", "running", NOW.minusSeconds(5));
        var old = instance("i-00000003", "running", NOW.minusSeconds(600));
        LocalHypervisor.Plan plan = LocalHypervisor.plan(List.of(young, due, old), Set.of(), NOW, BOOT);
        assertThat(plan.start()).extracting(LocalHypervisor.Observed::instanceId).containsExactly("i-00000002", "i-00000003");
        assertThat(plan.stop()).isEmpty();
    }

    @Test
    void anInstanceNotRunningGetsNoAgentAndAHostedOneIsNotStartedTwice() {
        var pending = instance("i-00000001", "pending", NOW.minusSeconds(60));
        var stopped = instance("i-00000002", "stopped", NOW.minusSeconds(60));
        var hosted = instance("i-00000003", "running", NOW.minusSeconds(60));
        LocalHypervisor.Plan plan = LocalHypervisor.plan(List.of(pending, stopped, hosted), Set.of("i-00000003"), NOW, BOOT);
        assertThat(plan.start()).isEmpty();
        assertThat(plan.stop()).isEmpty();
    }

    @Test
    void anAgentWhoseInstanceTerminatedStoppedOrVanishedIsStopped() {
        var terminated = instance("i-00000001", "terminated", NOW.minusSeconds(60));
        var shuttingDown = instance("i-00000002", "shutting-down", NOW.minusSeconds(60));
        var stopping = instance("i-00000003", "stopping", NOW.minusSeconds(60));
        var alive = instance("i-00000005", "running", NOW.minusSeconds(60));
        LocalHypervisor.Plan plan = LocalHypervisor.plan(List.of(terminated, shuttingDown, stopping, alive),
                Set.of("i-00000001", "i-00000002", "i-00000003", "i-00000004", "i-00000005"), NOW, BOOT);
        assertThat(plan.stop()).containsExactly("i-00000001", "i-00000002", "i-00000003", "i-00000004");
        assertThat(plan.start()).isEmpty();
    }

    @Test
    void theSlotsAreTheCatalogsForTheTypeInTheAgentsFormatAndNoneForATypeTheCatalogDoesNotList() {
        FleetCatalog catalog = FleetCatalog.parse(RequestFields.of(
                ElasticGroup.catalog(List.of(new Subnet("us-east-1a", "subnet-00000001")), Duration.ofSeconds(60))));
        assertThat(LocalHypervisor.slotsOf(Optional.of(catalog), "g5.xlarge")).contains("cuda.device=1,cpu=4,mem=16g");
        assertThat(LocalHypervisor.slotsOf(Optional.of(catalog), "g5.12xlarge")).contains("cuda.device=4,cpu=48,mem=192g");
        assertThat(LocalHypervisor.slotsOf(Optional.of(catalog), "p4d.24xlarge")).isEmpty();
        assertThat(LocalHypervisor.slotsOf(Optional.empty(), "g5.xlarge")).isEmpty();
        // what the agent's own parser takes: name=value pairs separated by commas
        assertThat(LocalHypervisor.slotsOf(Optional.of(catalog), "g5.xlarge").orElseThrow().split(","))
                .allMatch(p -> p.matches("[a-z.]+=[0-9]+[kmgt]?"));
    }

    @Test
    void theWarningHasEc2sShapeOnTheDefaultBus() throws Exception {
        PutEventsRequestEntry e = LocalHypervisor.interruptionWarning("aws.ec2", "i-0123456789abcdef0", "us-east-1", "000000000000");
        assertThat(e.eventBusName()).isEqualTo("default");
        assertThat(e.source()).isEqualTo("aws.ec2");
        assertThat(e.detailType()).isEqualTo("EC2 Spot Instance Interruption Warning");
        assertThat(e.resources()).containsExactly("arn:aws:ec2:us-east-1:000000000000:instance/i-0123456789abcdef0");
        assertThat(Json.readObject(e.detail())).isEqualTo(Map.of("instance-id", "i-0123456789abcdef0", "instance-action", "terminate"));
    }

    @Test
    void theNoticeIsFromZeroToAnHour() {
        LocalHypervisor.checkNotice(Duration.ZERO);
        LocalHypervisor.checkNotice(Duration.ofHours(1));
        assertThatThrownBy(() -> LocalHypervisor.checkNotice(Duration.ofSeconds(3601)))
                .hasMessage("The notice (--in) must be from 0 to 3600 seconds, not 3601.");
        assertThatThrownBy(() -> LocalHypervisor.checkNotice(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anInterruptRequestNamesAnInstanceIdAndNeedsAHypervisor(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        assertThatThrownBy(() -> LocalHypervisor.requestInterrupt(dir, "../etc", Duration.ofSeconds(5), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("The instance must be an EC2 instance id such as i-0123456789abcdef0, not '../etc'.");
        assertThatThrownBy(() -> LocalHypervisor.requestInterrupt(dir.resolve("none"), "i-0123456789abcdef0", Duration.ofSeconds(5),
                Duration.ofSeconds(1))).isInstanceOf(IllegalStateException.class).hasMessageContaining("is 'sluice-local up' running?");
        assertThatThrownBy(() -> LocalHypervisor.requestInterrupt(dir, "i-0123456789abcdef0", Duration.ofSeconds(5),
                Duration.ofMillis(300))).isInstanceOf(IllegalStateException.class).hasMessageStartingWith("No hypervisor answered");
        assertThat(dir.resolve("i-0123456789abcdef0.request")).as("an unanswered request is taken back").doesNotExist();
    }

    @Test
    void theLocalCatalogIsValidWithOneSubnetPerZoneAndTheBootDelayIsParsed() {
        FleetCatalog c = FleetCatalog.parse(RequestFields.of(ElasticGroup.catalog(List.of(
                new Subnet("us-east-1a", "subnet-00000001"), new Subnet("us-east-1a", "subnet-00000009"),
                new Subnet("us-east-1b", "subnet-00000002")), Duration.ofSeconds(60))));
        assertThat(c.subnets()).extracting(Subnet::subnetId).containsExactly("subnet-00000001", "subnet-00000002");
        assertThat(c.minInstances()).isZero();
        assertThat(c.idleDuration()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.type("g5.xlarge").orElseThrow().purchaseOptions()).hasSize(2);
        assertThat(c.priceSource()).contains("us-east-1");
        assertThat(LocalRuntime.bootDelay(null)).isEqualTo(Duration.ofSeconds(5));
        assertThat(LocalRuntime.bootDelay("2")).isEqualTo(Duration.ofSeconds(2));
        assertThat(LocalRuntime.bootDelay("1m")).isEqualTo(Duration.ofMinutes(1));
        assertThatThrownBy(() -> LocalRuntime.bootDelay("soon")).hasMessageContaining("not 'soon'");
        assertThatThrownBy(() -> LocalRuntime.bootDelay("2h")).hasMessageContaining("at most 1h");
    }
}
