package dev.sluice.adapters.ec2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.fleet.PurchaseOption;
import dev.sluice.core.port.FleetDriver.Candidate;
import dev.sluice.core.port.FleetDriver.LaunchRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.CreateFleetRequest;
import software.amazon.awssdk.services.ec2.model.DefaultTargetCapacityType;
import software.amazon.awssdk.services.ec2.model.FleetOnDemandAllocationStrategy;
import software.amazon.awssdk.services.ec2.model.FleetType;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceLifecycleType;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.SpotAllocationStrategy;
import software.amazon.awssdk.services.ec2.model.Tag;

/** The CreateFleet request the driver sends for one candidate, and its small conversions (no call is made). */
class Ec2FleetDriverTest {
    private static final Ec2Client UNUSED = Ec2Client.builder().region(Region.US_EAST_1)
            .credentialsProvider(AnonymousCredentialsProvider.create()).build();
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-03T18:00:00Z"), ZoneOffset.UTC);
    private final Ec2FleetDriver driver = new Ec2FleetDriver(UNUSED, "lt-0123", "sluice-prod", CLOCK);

    private static LaunchRequest request(Candidate... candidates) {
        return new LaunchRequest("gpu", "gpu-launch-7", List.of(candidates), Map.of("team", "vision", "sluice:stack", "spoofed"),
                Duration.ofSeconds(25));
    }

    @Test
    void aSpotCandidateIsOneInstantInstanceCappedAtItsPriceWithCapacityOptimizedPrioritized() {
        Candidate spot = new Candidate("g5.xlarge", PurchaseOption.SPOT, "us-east-1b", "subnet-b", 452_500);
        CreateFleetRequest r = driver.createFleet(request(spot), 0, spot);

        assertThat(r.type()).isEqualTo(FleetType.INSTANT);
        assertThat(r.targetCapacitySpecification().totalTargetCapacity()).isEqualTo(1);
        assertThat(r.targetCapacitySpecification().spotTargetCapacity()).isEqualTo(1);
        assertThat(r.targetCapacitySpecification().defaultTargetCapacityType()).isEqualTo(DefaultTargetCapacityType.SPOT);
        assertThat(r.spotOptions().allocationStrategy()).isEqualTo(SpotAllocationStrategy.CAPACITY_OPTIMIZED_PRIORITIZED);
        assertThat(r.spotOptions().maxTotalPrice()).isEqualTo("0.452500");
        assertThat(r.launchTemplateConfigs()).singleElement().satisfies(c -> {
            assertThat(c.launchTemplateSpecification().launchTemplateId()).isEqualTo("lt-0123");
            assertThat(c.overrides()).singleElement().satisfies(o -> {
                assertThat(o.instanceTypeAsString()).isEqualTo("g5.xlarge");
                assertThat(o.subnetId()).isEqualTo("subnet-b");
                assertThat(o.maxPrice()).isEqualTo("0.452500");
            });
        });
    }

    @Test
    void anOnDemandCandidateIsPrioritizedAndNotCapped() {
        Candidate onDemand = new Candidate("g5.2xlarge", PurchaseOption.ON_DEMAND, "us-east-1a", "subnet-a", 1_212_000);
        CreateFleetRequest r = driver.createFleet(request(onDemand), 1, onDemand);

        assertThat(r.targetCapacitySpecification().onDemandTargetCapacity()).isEqualTo(1);
        assertThat(r.targetCapacitySpecification().defaultTargetCapacityType()).isEqualTo(DefaultTargetCapacityType.ON_DEMAND);
        assertThat(r.onDemandOptions().allocationStrategy()).isEqualTo(FleetOnDemandAllocationStrategy.PRIORITIZED);
        assertThat(r.onDemandOptions().maxTotalPrice()).isNull();
        assertThat(r.spotOptions()).isNull();
    }

    @Test
    void theInstanceIsTaggedWithItsGroupRefOptionAndStackOverTheCallersTags() {
        Candidate c = new Candidate("g5.xlarge", PurchaseOption.SPOT, "us-east-1b", "subnet-b", 0);
        CreateFleetRequest r = driver.createFleet(request(c), 0, c);

        assertThat(r.tagSpecifications()).singleElement().satisfies(t -> {
            assertThat(t.resourceType()).isEqualTo(ResourceType.INSTANCE);
            assertThat(t.tags().stream().collect(Collectors.toMap(Tag::key, Tag::value))).containsExactlyInAnyOrderEntriesOf(Map.of(
                    "sluice:resource-group", "gpu", "sluice:launch-ref", "gpu-launch-7", "sluice:purchase-option", "spot",
                    "sluice:stack", "sluice-prod", "team", "vision"));
        });
        assertThat(r.spotOptions().maxTotalPrice()).as("no cap configured, none sent").isNull();
    }

    @Test
    void theClientTokenIsStablePerRefAndCandidateAndFitsEc2sLimit() {
        String ref = "x".repeat(500);
        assertThat(Ec2FleetDriver.clientToken(ref, 3)).isEqualTo(Ec2FleetDriver.clientToken(ref, 3)).hasSizeLessThanOrEqualTo(64)
                .isNotEqualTo(Ec2FleetDriver.clientToken(ref, 2)).isNotEqualTo(Ec2FleetDriver.clientToken("y", 3));
    }

    @Test
    void priceCapsAreDollarsWithSixDecimals() {
        assertThat(Ec2FleetDriver.dollarsAnHour(1)).contains("0.000001");
        assertThat(Ec2FleetDriver.dollarsAnHour(32_772_000)).contains("32.772000");
        assertThat(Ec2FleetDriver.dollarsAnHour(0)).isEmpty();
    }

    @Test
    void thePurchaseOptionIsEc2sLifecycleAndTheTagOnlyWhereTheLifecycleIsMissing() {
        assertThat(Ec2FleetDriver.option(Instance.builder().instanceLifecycle(InstanceLifecycleType.SPOT).build())).isEqualTo(PurchaseOption.SPOT);
        assertThat(Ec2FleetDriver.option(Instance.builder().build())).isEqualTo(PurchaseOption.ON_DEMAND);
        assertThat(Ec2FleetDriver.option(Instance.builder().tags(Tag.builder().key("sluice:purchase-option").value("spot").build()).build()))
                .isEqualTo(PurchaseOption.SPOT);
    }

    @Test
    void withoutALaunchTemplateTheDriverRefusesToStart() {
        assertThatThrownBy(() -> new Ec2FleetDriver(UNUSED, "", "s", CLOCK))
                .hasMessageContaining("SLUICE_AGENT_LAUNCH_TEMPLATE_ID");
    }

    @Test
    void aStackWithoutTheLaunchTemplateHasNoDriverToConfigure() {
        assertThat(Ec2FleetDriver.configured(Map.of("SLUICE_AGENT_LAUNCH_TEMPLATE_ID", "", "SLUICE_STACK_NAME", "s"), CLOCK)).isEmpty();
        assertThat(Ec2FleetDriver.configured(Map.of("SLUICE_STACK_NAME", "s"), CLOCK)).isEmpty();
    }
}
