package dev.sluice.agent.discovery;

import static dev.sluice.agent.discovery.Fixtures.nvidiaSmi;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.agent.command.CommandResult;
import dev.sluice.agent.command.FakeCommandRunner;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DiscoveryTest {

    private static final HostResources G5_HOST = new HostResources(48, 196_608L * 1024 * 1024, "x86_64");
    private static final HostResources LAPTOP = new HostResources(8, 16L * 1024 * 1024 * 1024, "aarch64");

    private static Discovery withGpus(HostResources host, String fixture) {
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(NvidiaSmi.QUERY, CommandResult.exited(0, nvidiaSmi(fixture + ".query.csv"), ""))
                .on(NvidiaSmi.HEADER, CommandResult.exited(0, nvidiaSmi(fixture + ".table.txt"), ""));
        return new Discovery(new NvidiaSmi(runner), () -> host);
    }

    private static Discovery withoutNvidiaSmi(HostResources host) {
        return new Discovery(new NvidiaSmi(new FakeCommandRunner()), () -> host);
    }

    @Test
    void aGpuHostOffersItsCoresMemoryAndDevices() {
        HostCapacity capacity = withGpus(G5_HOST, "g5.12xlarge-4xA10G").discover(Map.of());

        assertThat(capacity.slots()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "cpu", "48", "mem", Long.toString(196_608L * 1024 * 1024), "cuda.device", "4"));
        assertThat(capacity.architecture()).isEqualTo("x86_64");
        assertThat(capacity.gpuUuids()).hasSize(4).allMatch(u -> u.startsWith("GPU-"));
        assertThat(capacity.computePlugins()).containsEntry("cuda.version", "12.4")
                .containsEntry("cuda.driver", "550.54.15").containsEntry("gpu.3.model", "NVIDIA A10G");
        assertThat(capacity.warnings()).isEmpty();
    }

    @Test
    void aHostWithoutGpusOffersNoCudaSlot() {
        HostCapacity capacity = withoutNvidiaSmi(LAPTOP).discover(Map.of());

        assertThat(capacity.slots()).containsOnlyKeys("cpu", "mem");
        assertThat(capacity.gpuUuids()).isEmpty();
        assertThat(capacity.computePlugins()).isEmpty();
        assertThat(capacity.architecture()).isEqualTo("aarch64");
    }

    @Test
    void declaredFakeDevicesOnAHostWithoutGpusAreOfferedButHaveNoUuids() {
        HostCapacity capacity = withoutNvidiaSmi(LAPTOP).discover(DeclaredSlots.parse("cuda.device=2,cuda.shares=4"));

        assertThat(capacity.slots()).containsEntry("cuda.device", "2").containsEntry("cuda.shares", "4")
                .containsEntry("cpu", "8");
        assertThat(capacity.gpuUuids()).isEmpty();
        assertThat(capacity.computePlugins()).containsEntry("cuda.declared", "true");
    }

    @Test
    void declaredCpuAndMemOverrideTheHost() {
        HostCapacity capacity = withGpus(G5_HOST, "g5.12xlarge-4xA10G").discover(DeclaredSlots.parse("cpu=40, mem=160g"));

        assertThat(capacity.slots()).containsEntry("cpu", "40")
                .containsEntry("mem", Long.toString(160L * 1024 * 1024 * 1024)).containsEntry("cuda.device", "4");
    }

    @Test
    void declaringFewerDevicesThanFoundHandsOutOnlyTheFirstOnes() {
        HostCapacity all = withGpus(G5_HOST, "g5.12xlarge-4xA10G").discover(Map.of());
        HostCapacity two = withGpus(G5_HOST, "g5.12xlarge-4xA10G").discover(Map.of("cuda.device", "2"));

        assertThat(two.slots()).containsEntry("cuda.device", "2");
        assertThat(two.gpuUuids()).containsExactlyElementsOf(all.gpuUuids().subList(0, 2));
        assertThat(two.warnings()).singleElement().asString().contains("declared as 2 of the 4");
    }

    @Test
    void declaringMoreDevicesThanAGpuHostHasIsRefused() {
        Discovery discovery = withGpus(G5_HOST, "g4dn-1xT4");

        assertThatThrownBy(() -> discovery.discover(Map.of("cuda.device", "2")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cuda.device=2").hasMessageContaining("1 GPU(s)");
    }

    @Test
    void aBrokenDriverLeavesNoGpusAndCarriesTheWarning() {
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(NvidiaSmi.QUERY, CommandResult.exited(9, nvidiaSmi("driver-not-loaded.txt"), ""));
        HostCapacity capacity = new Discovery(new NvidiaSmi(runner), () -> G5_HOST).discover(Map.of());

        assertThat(capacity.slots()).doesNotContainKey("cuda.device");
        assertThat(capacity.warnings()).singleElement().asString().contains("not reachable");
    }

    @Test
    void declaredSlotsAreCheckedWithMessagesNamingTheSlot() {
        assertThat(DeclaredSlots.parse("")).isEmpty();
        assertThat(DeclaredSlots.parse("mem=1.5g")).containsEntry("mem", Long.toString(1536L * 1024 * 1024));
        assertThat(DeclaredSlots.parse("cuda.shares=0.50")).containsEntry("cuda.shares", "0.5");
        assertThatThrownBy(() -> DeclaredSlots.parse("gpu=2")).hasMessageContaining("unknown slot 'gpu'");
        assertThatThrownBy(() -> DeclaredSlots.parse("cuda.device=1.5")).hasMessageContaining("cuda.device must be a whole number");
        assertThatThrownBy(() -> DeclaredSlots.parse("cpu=-1")).hasMessageContaining("cpu must not be negative");
        assertThatThrownBy(() -> DeclaredSlots.parse("mem=lots")).hasMessageContaining("mem must be a number or a size");
        assertThatThrownBy(() -> DeclaredSlots.parse("cpu")).hasMessageContaining("not name=amount");
        assertThatThrownBy(() -> DeclaredSlots.parse("cpu=1,cpu=2")).hasMessageContaining("declared twice");
        assertThat(List.copyOf(DeclaredSlots.parse("cpu=2,mem=1k").keySet())).containsExactly("cpu", "mem");
    }
}
