package dev.sluice.agent.discovery;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The host's CPU cores, memory and architecture, as the agent offers them.
 *
 * <p>CPU: {@code Runtime.availableProcessors()}, lowered to a cgroup CPU quota when one is set (v2 {@code cpu.max},
 * v1 {@code cpu.cfs_quota_us}/{@code cpu.cfs_period_us}; a fractional quota rounds down, never below 1). Memory:
 * {@code MemTotal} of {@code /proc/meminfo}, lowered to a cgroup memory limit when one is set; without meminfo, the
 * OperatingSystemMXBean's total. Files are read under a root directory so tests give a fake one.
 *
 * @param architecture {@code x86_64} or {@code aarch64} (other values of {@code os.arch} are passed through)
 */
public record HostResources(int cpuCores, long memoryBytes, String architecture) {

    /** Reads this host. */
    public static HostResources detect() {
        long mxTotal = 0;
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            mxTotal = sun.getTotalMemorySize();
        }
        return detect(Path.of("/"), Runtime.getRuntime().availableProcessors(), System.getProperty("os.arch"), mxTotal);
    }

    /** Reads a host whose {@code /proc} and {@code /sys} are under {@code root}, with the JVM's own figures given. */
    public static HostResources detect(Path root, int availableProcessors, String osArch, long mxBeanMemoryBytes) {
        int cores = availableProcessors;
        OptionalLong quotaCores = cgroupCpuLimit(root);
        if (quotaCores.isPresent() && quotaCores.getAsLong() < cores) {
            cores = (int) quotaCores.getAsLong();
        }
        long memory = memTotal(read(root.resolve("proc/meminfo")).orElse("")).orElse(mxBeanMemoryBytes);
        OptionalLong limit = cgroupMemoryLimit(root);
        if (limit.isPresent() && limit.getAsLong() < memory) {
            memory = limit.getAsLong();
        }
        return new HostResources(Math.max(1, cores), memory, architecture(osArch));
    }

    /** {@code amd64} → {@code x86_64}, {@code arm64} → {@code aarch64}. */
    public static String architecture(String osArch) {
        String arch = osArch == null ? "" : osArch.toLowerCase(Locale.ROOT);
        switch (arch) {
            case "amd64":
            case "x86_64":
            case "x86-64":
                return "x86_64";
            case "arm64":
            case "aarch64":
                return "aarch64";
            default:
                return arch;
        }
    }

    /** {@code MemTotal:  16318432 kB} in bytes. */
    public static OptionalLong memTotal(String meminfo) {
        for (String line : meminfo.split("\\R")) {
            if (line.startsWith("MemTotal:")) {
                String[] parts = line.substring("MemTotal:".length()).trim().split("\\s+");
                try {
                    long value = Long.parseLong(parts[0]);
                    boolean kb = parts.length > 1 && parts[1].equalsIgnoreCase("kB");
                    return OptionalLong.of(kb ? value * 1024 : value);
                } catch (NumberFormatException e) {
                    return OptionalLong.empty();
                }
            }
        }
        return OptionalLong.empty();
    }

    /** Whole cores a cgroup v2 {@code cpu.max} line ({@code "200000 100000"}, {@code "max 100000"}) allows. */
    public static OptionalLong cpuMaxCores(String cpuMax) {
        String[] parts = cpuMax.trim().split("\\s+");
        if (parts.length != 2 || parts[0].equals("max")) {
            return OptionalLong.empty();
        }
        return cores(parts[0], parts[1]);
    }

    private static OptionalLong cgroupCpuLimit(Path root) {
        Optional<String> v2 = read(root.resolve("sys/fs/cgroup/cpu.max"));
        if (v2.isPresent()) {
            return cpuMaxCores(v2.get());
        }
        Optional<String> quota = read(root.resolve("sys/fs/cgroup/cpu/cpu.cfs_quota_us"));
        Optional<String> period = read(root.resolve("sys/fs/cgroup/cpu/cpu.cfs_period_us"));
        if (quota.isEmpty() || period.isEmpty() || quota.get().trim().startsWith("-")) {
            return OptionalLong.empty();
        }
        return cores(quota.get().trim(), period.get().trim());
    }

    private static OptionalLong cores(String quota, String period) {
        try {
            BigDecimal q = new BigDecimal(quota);
            BigDecimal p = new BigDecimal(period);
            if (q.signum() <= 0 || p.signum() <= 0) {
                return OptionalLong.empty();
            }
            return OptionalLong.of(Math.max(1, q.divide(p, 0, RoundingMode.DOWN).longValue()));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    private static OptionalLong cgroupMemoryLimit(Path root) {
        Optional<String> limit = read(root.resolve("sys/fs/cgroup/memory.max"))
                .or(() -> read(root.resolve("sys/fs/cgroup/memory/memory.limit_in_bytes")));
        if (limit.isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(limit.get().trim()));
        } catch (NumberFormatException e) {
            return OptionalLong.empty(); // "max": no limit
        }
    }

    private static Optional<String> read(Path file) {
        try {
            return Files.isReadable(file) ? Optional.of(Files.readString(file)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
