package dev.sluice.agent.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostResourcesTest {

    private static final String MEMINFO = "MemTotal:       65554452 kB\nMemFree:        60123456 kB\nMemAvailable:   62000000 kB\n";

    @TempDir
    Path root;

    @Test
    void memoryComesFromMeminfoInBytes() throws IOException {
        write("proc/meminfo", MEMINFO);

        HostResources host = HostResources.detect(root, 16, "amd64", 1);

        assertThat(host.memoryBytes()).isEqualTo(65554452L * 1024);
        assertThat(host.cpuCores()).isEqualTo(16);
        assertThat(host.architecture()).isEqualTo("x86_64");
    }

    @Test
    void withoutMeminfoTheMxBeanTotalIsUsed() {
        HostResources host = HostResources.detect(root, 4, "aarch64", 8_000_000_000L);

        assertThat(host.memoryBytes()).isEqualTo(8_000_000_000L);
        assertThat(host.architecture()).isEqualTo("aarch64");
    }

    @Test
    void aCgroupV2CpuQuotaLowersTheCoresRoundingDown() throws IOException {
        write("sys/fs/cgroup/cpu.max", "250000 100000\n");

        assertThat(HostResources.detect(root, 16, "amd64", 1).cpuCores()).isEqualTo(2);
    }

    @Test
    void anUnlimitedOrLargerQuotaLeavesTheProcessorCount() throws IOException {
        write("sys/fs/cgroup/cpu.max", "max 100000\n");
        assertThat(HostResources.detect(root, 8, "amd64", 1).cpuCores()).isEqualTo(8);

        write("sys/fs/cgroup/cpu.max", "6400000 100000\n");
        assertThat(HostResources.detect(root, 8, "amd64", 1).cpuCores()).isEqualTo(8);
    }

    @Test
    void aCgroupV1QuotaIsReadToo() throws IOException {
        write("sys/fs/cgroup/cpu/cpu.cfs_quota_us", "400000\n");
        write("sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
        assertThat(HostResources.detect(root, 32, "amd64", 1).cpuCores()).isEqualTo(4);

        write("sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1\n");
        assertThat(HostResources.detect(root, 32, "amd64", 1).cpuCores()).isEqualTo(32);
    }

    @Test
    void aFractionalQuotaStillLeavesOneCore() {
        assertThat(HostResources.cpuMaxCores("50000 100000")).isEqualTo(OptionalLong.of(1));
    }

    @Test
    void aCgroupMemoryLimitBelowTheHostLowersMemory() throws IOException {
        write("proc/meminfo", MEMINFO);
        write("sys/fs/cgroup/memory.max", "8589934592\n");
        assertThat(HostResources.detect(root, 4, "amd64", 1).memoryBytes()).isEqualTo(8589934592L);

        write("sys/fs/cgroup/memory.max", "max\n");
        assertThat(HostResources.detect(root, 4, "amd64", 1).memoryBytes()).isEqualTo(65554452L * 1024);
    }

    @Test
    void architecturesAreNamedTheWayTheSchedulerCompares() {
        assertThat(HostResources.architecture("amd64")).isEqualTo("x86_64");
        assertThat(HostResources.architecture("x86_64")).isEqualTo("x86_64");
        assertThat(HostResources.architecture("arm64")).isEqualTo("aarch64");
        assertThat(HostResources.architecture("ppc64le")).isEqualTo("ppc64le");
    }

    @Test
    void thisHostHasSomething() {
        HostResources host = HostResources.detect();

        assertThat(host.cpuCores()).isPositive();
        assertThat(host.memoryBytes()).isGreaterThan(64L * 1024 * 1024);
        assertThat(host.architecture()).isIn("x86_64", "aarch64");
    }

    private void write(String relative, String text) throws IOException {
        Path file = root.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }
}
