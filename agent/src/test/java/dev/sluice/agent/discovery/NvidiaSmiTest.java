package dev.sluice.agent.discovery;

import static dev.sluice.agent.discovery.Fixtures.nvidiaSmi;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.agent.command.CommandResult;
import dev.sluice.agent.command.FakeCommandRunner;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class NvidiaSmiTest {

    private static final long MIB = 1024L * 1024L;

    @Test
    void eightA100sOfAP4deWithTheCudaVersionFromThe535Table() {
        GpuInventory inv = NvidiaSmi.parse(nvidiaSmi("p4de-8xA100-SXM4-80GB.query.csv"),
                nvidiaSmi("p4de-8xA100-SXM4-80GB.table.txt"));

        assertThat(inv.count()).isEqualTo(8);
        assertThat(inv.warnings()).isEmpty();
        assertThat(inv.driverVersion()).contains("535.104.05");
        assertThat(inv.cudaVersion()).contains("12.2");
        GpuInventory.Gpu first = inv.gpus().get(0);
        assertThat(first.index()).isZero();
        assertThat(first.uuid()).isEqualTo("GPU-a4c123b1-612d-d272-d137-1c17149d4395");
        assertThat(first.model()).isEqualTo("NVIDIA A100-SXM4-80GB");
        assertThat(first.memoryBytes()).isEqualTo(OptionalLong.of(81920 * MIB));
        assertThat(first.pciBusId()).contains("00000000:10:1C.0");
        assertThat(inv.gpus()).extracting(GpuInventory.Gpu::index).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
        assertThat(inv.uuids()).doesNotHaveDuplicates().allMatch(u -> u.startsWith("GPU-"));
        assertThat(inv.gpus().get(7).pciBusId()).contains("00000000:A0:1D.0");
    }

    @Test
    void oneT4OfAG4dnWithTheOlderTableHeader() {
        GpuInventory inv = NvidiaSmi.parse(nvidiaSmi("g4dn-1xT4.query.csv"), nvidiaSmi("g4dn-1xT4.table.txt"));

        assertThat(inv.count()).isEqualTo(1);
        assertThat(inv.gpus().get(0).model()).isEqualTo("Tesla T4");
        assertThat(inv.gpus().get(0).memoryBytes()).isEqualTo(OptionalLong.of(15360 * MIB));
        assertThat(inv.driverVersion()).contains("470.182.03");
        assertThat(inv.cudaVersion()).contains("11.4");
    }

    @Test
    void fourA10GsOfAG5TwelveXlargeWithThe550Table() {
        GpuInventory inv = NvidiaSmi.parse(nvidiaSmi("g5.12xlarge-4xA10G.query.csv"),
                nvidiaSmi("g5.12xlarge-4xA10G.table.txt"));

        assertThat(inv.count()).isEqualTo(4);
        assertThat(inv.gpus()).allMatch(g -> g.model().equals("NVIDIA A10G"))
                .allMatch(g -> g.memoryBytes().equals(OptionalLong.of(23028 * MIB)));
        assertThat(inv.gpus()).extracting(g -> g.pciBusId().orElseThrow())
                .containsExactly("00000000:00:1B.0", "00000000:00:1C.0", "00000000:00:1D.0", "00000000:00:1E.0");
        assertThat(inv.cudaVersion()).contains("12.4");
    }

    @Test
    void eightH100sOfAP5WithTheCudaVersionFromNvidiaSmiQ() {
        GpuInventory inv = NvidiaSmi.parse(nvidiaSmi("p5-8xH100-80GB-HBM3.query.csv"),
                nvidiaSmi("p5-8xH100-80GB-HBM3.q.txt"));

        assertThat(inv.count()).isEqualTo(8);
        assertThat(inv.gpus().get(0).model()).isEqualTo("NVIDIA H100 80GB HBM3");
        assertThat(inv.gpus().get(0).memoryBytes()).isEqualTo(OptionalLong.of(81559 * MIB));
        assertThat(inv.driverVersion()).contains("535.183.01");
        assertThat(inv.cudaVersion()).contains("12.2");
    }

    @Test
    void aV100WithTheTableThatHasNoMigRow() {
        GpuInventory inv = NvidiaSmi.parse(nvidiaSmi("p3-1xV100-SXM2-16GB.query.csv"),
                nvidiaSmi("p3-1xV100-SXM2-16GB.table.txt"));

        assertThat(inv.count()).isEqualTo(1);
        assertThat(inv.gpus().get(0).model()).isEqualTo("Tesla V100-SXM2-16GB");
        assertThat(inv.cudaVersion()).contains("10.1");
        assertThat(inv.driverVersion()).contains("418.87.00");
    }

    @Test
    void theR610HeaderThatRenamesDriverAndCudaVersionIsRead() {
        GpuInventory inv = NvidiaSmi.parse(nvidiaSmi("r610-2xB200.query.csv"), nvidiaSmi("r610-2xB200.table.txt"));

        assertThat(inv.count()).isEqualTo(2);
        assertThat(inv.gpus().get(1).memoryBytes()).isEqualTo(OptionalLong.of(183359 * MIB));
        assertThat(inv.cudaVersion()).contains("13.3");
        assertThat(inv.driverVersion()).contains("610.43.02");
    }

    @Test
    void theDriverVersionFallsBackToTheHeaderWhenTheQueryLacksIt() {
        GpuInventory inv = NvidiaSmi.parse("0, GPU-1b965d81-1d0f-6501-027c-1ecc1437f5ea, Tesla T4, 15360, [N/A], 00000000:00:04.0\n",
                nvidiaSmi("g4dn-1xT4.table.txt"));

        assertThat(inv.driverVersion()).contains("470.182.03");
    }

    @Test
    void unreadableFieldsDropTheUnidentifiableGpuAndKeepOthersWithUnknownValues() {
        GpuInventory inv = NvidiaSmi.parse(nvidiaSmi("degraded-fields.query.csv"),
                nvidiaSmi("g5.12xlarge-4xA10G.table.txt"));

        assertThat(inv.gpus()).extracting(GpuInventory.Gpu::index).containsExactly(0, 1, 3);
        assertThat(inv.gpus().get(1).memoryBytes()).isEmpty();
        assertThat(inv.gpus().get(2).pciBusId()).isEmpty();
        assertThat(inv.warnings()).hasSize(2);
        assertThat(inv.warnings().get(0)).contains("GPU 1").contains("no memory total").contains("[N/A]");
        assertThat(inv.warnings().get(1)).contains("could not be identified").contains("[Unknown Error]")
                .contains("left out");
        assertThat(inv.computePlugins()).containsEntry("cuda.devices", "3")
                .containsEntry("gpu.0.memory", Long.toString(23028 * MIB))
                .doesNotContainKey("gpu.1.memory").doesNotContainKey("gpu.2.uuid")
                .doesNotContainKey("gpu.3.pci").containsEntry("gpu.3.uuid", "GPU-5f2a8e71-0c3d-94b6-e217-3ad0c6f58b14");
    }

    @Test
    void theDriverCommunicationErrorMeansNoGpusAndAWarningQuotingIt() {
        GpuInventory inv = NvidiaSmi.parse(nvidiaSmi("driver-not-loaded.txt"), "");

        assertThat(inv.count()).isZero();
        assertThat(inv.warnings()).singleElement().asString()
                .contains("NVIDIA driver is not reachable")
                .contains("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver");
        assertThat(inv.computePlugins()).isEmpty();
    }

    @Test
    void noDevicesFoundMeansNoGpusAndAWarning() {
        GpuInventory inv = NvidiaSmi.parse(nvidiaSmi("no-devices.txt"), "");

        assertThat(inv.count()).isZero();
        assertThat(inv.warnings()).singleElement().asString().contains("no devices");
    }

    @Test
    void aLineWithTheWrongNumberOfFieldsIsReportedNotGuessed() {
        GpuInventory inv = NvidiaSmi.parse("Field \"pci.bus_id\" is not a valid field to query.\n", "");

        assertThat(inv.count()).isZero();
        assertThat(inv.warnings()).singleElement().asString().contains("not understood");
    }

    @Test
    void computePluginsFlattenTheInventory() {
        GpuInventory inv = NvidiaSmi.parse(nvidiaSmi("g4dn-1xT4.query.csv"), nvidiaSmi("g4dn-1xT4.table.txt"));

        assertThat(inv.computePlugins()).containsExactlyInAnyOrderEntriesOf(java.util.Map.of(
                "cuda.devices", "1",
                "cuda.driver", "470.182.03",
                "cuda.version", "11.4",
                "gpu.0.model", "Tesla T4",
                "gpu.0.uuid", inv.gpus().get(0).uuid(),
                "gpu.0.memory", Long.toString(15360 * MIB),
                "gpu.0.pci", "00000000:00:1E.0"));
    }

    // ---- probe(): running nvidia-smi

    @Test
    void probeRunsTheQueryThenTheTableForTheCudaVersion() {
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(NvidiaSmi.QUERY, CommandResult.exited(0, nvidiaSmi("g5.12xlarge-4xA10G.query.csv"), ""))
                .on(NvidiaSmi.HEADER, CommandResult.exited(0, nvidiaSmi("g5.12xlarge-4xA10G.table.txt"), ""));

        GpuInventory inv = new NvidiaSmi(runner, Duration.ofSeconds(5)).probe();

        assertThat(inv.count()).isEqualTo(4);
        assertThat(inv.cudaVersion()).contains("12.4");
        assertThat(inv.warnings()).isEmpty();
        assertThat(runner.argvs()).containsExactly(NvidiaSmi.QUERY, NvidiaSmi.HEADER);
        assertThat(runner.commands()).allMatch(c -> c.timeout().equals(Optional.of(Duration.ofSeconds(5))));
    }

    @Test
    void probeWithoutNvidiaSmiInstalledIsZeroGpusAndNoWarning() {
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(List.of("nvidia-smi"), CommandResult.notFound("Cannot run program \"nvidia-smi\": error=2"));

        GpuInventory inv = new NvidiaSmi(runner).probe();

        assertThat(inv.count()).isZero();
        assertThat(inv.warnings()).isEmpty();
        assertThat(runner.argvs()).hasSize(1);
    }

    @Test
    void probeWithAHungDriverTimesOutToZeroGpusAndAWarning() {
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(NvidiaSmi.QUERY, CommandResult.timedOut("", ""));

        GpuInventory inv = new NvidiaSmi(runner, Duration.ofSeconds(7)).probe();

        assertThat(inv.count()).isZero();
        assertThat(inv.warnings()).singleElement().asString().contains("did not answer within 7s");
    }

    @Test
    void probeWithTheDriverUnreachableReadsTheMessageFromItsOutput() {
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(NvidiaSmi.QUERY, CommandResult.exited(9, nvidiaSmi("driver-not-loaded.txt"), ""));

        GpuInventory inv = new NvidiaSmi(runner).probe();

        assertThat(inv.count()).isZero();
        assertThat(inv.warnings()).singleElement().asString().contains("not reachable");
    }

    @Test
    void probeWithAnUnknownFailureSaysHowItExited() {
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(NvidiaSmi.QUERY, CommandResult.exited(255, "", ""));

        GpuInventory inv = new NvidiaSmi(runner).probe();

        assertThat(inv.count()).isZero();
        assertThat(inv.warnings()).singleElement().asString().contains("nvidia-smi exited 255");
    }

    @Test
    void probeKeepsTheGpusWhenTheTableFailsButWarnsAboutTheCudaVersion() {
        FakeCommandRunner runner = new FakeCommandRunner()
                .on(NvidiaSmi.QUERY, CommandResult.exited(0, nvidiaSmi("g4dn-1xT4.query.csv"), ""))
                .on(NvidiaSmi.HEADER, CommandResult.timedOut("", ""));

        GpuInventory inv = new NvidiaSmi(runner).probe();

        assertThat(inv.count()).isEqualTo(1);
        assertThat(inv.cudaVersion()).isEmpty();
        assertThat(inv.warnings()).singleElement().asString().contains("CUDA version could not be read");
    }
}
