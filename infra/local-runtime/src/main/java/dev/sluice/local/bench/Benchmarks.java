package dev.sluice.local.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Runs the benchmarks against the emulator named by AWS_ENDPOINT_URL and writes their section of docs/benchmarks.md,
 * with the machine and the date. Run through {@code ./infra/local/sluice-local bench}.
 */
public final class Benchmarks {
    private Benchmarks() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        try (dev.sluice.local.LocalRuntime runtime = dev.sluice.local.LocalRuntime.start(0)) {
            dev.sluice.local.LocalDeployer.DeployedStack stack = runtime.deployAndServe(root, "sluice", dev.sluice.local.LocalRuntime.endpoint());
            // Named benchmarks only, when names follow the root ("agents webhooks" or "agents,webhooks"); all otherwise.
            java.util.Set<String> only = new java.util.HashSet<>();
            for (String a : java.util.Arrays.asList(args).subList(Math.min(1, args.length), args.length)) {
                only.addAll(java.util.Arrays.asList(a.split(",")));
            }
            if (only.isEmpty() || only.contains("api-latency")) {
                ApiLatencyBenchmark.Report api = ApiLatencyBenchmark.run(runtime, stack);
                write(root, "api-latency", "API latency (issue #3)", api.markdown());
            }
            if (only.isEmpty() || only.contains("scheduling")) {
                SchedulingBenchmark.Report scheduling = SchedulingBenchmark.run(root, runtime, stack);
                write(root, "scheduling", "Scheduling through the emulator (issue #4)", scheduling.markdown());
            }
            if (only.isEmpty() || only.contains("scheduling") || only.contains("placement-throughput")) {
                // Part of the scheduling benchmark; also runs alone by its own name.
                java.util.Map<String, String> env = runtime.host().bindings().values().iterator().next().environment();
                String c = System.getenv("SLUICE_BENCH_APPLY_CONCURRENCY");
                PlacementThroughput.Report placement = PlacementThroughput.run(dev.sluice.adapters.Wiring.fromEnvironment(env).control(), env,
                        c == null || c.isBlank() ? dev.sluice.core.usecase.PlanApplier.DEFAULT_CONCURRENCY : Integer.parseInt(c.strip()), 5);
                write(root, "placement-throughput", "Scheduling: placement throughput of the plan applier (issue #15)", placement.markdown());
            }
            if (only.contains("session-life")) {
                // Only the counted session lives of the scheduling benchmark, printed (docs/benchmarks.md is not written).
                Map<String, String> env = runtime.host().bindings().values().iterator().next().environment();
                System.out.println(SessionLife.markdown(SessionLife.run(root, runtime, stack, dev.sluice.adapters.Wiring.fromEnvironment(env).control(),
                        "bench-" + java.util.UUID.randomUUID().toString().substring(0, 6) + "-life-agent")));
            }
            if (only.isEmpty() || only.contains("agents")) {
                AgentBenchmark.Report agents = AgentBenchmark.run(root, runtime, stack);
                write(root, "agents", "Agents: footprint and the cost of a heartbeat (issue #5)", agents.markdown());
            }
            if (only.isEmpty() || only.contains("webhooks")) {
                WebhookBenchmark.Report webhooks = WebhookBenchmark.run(runtime, stack);
                write(root, "webhooks", "Webhook delivery (issue #7)", webhooks.markdown());
            }
            if (only.isEmpty() || only.contains("cold-start")) {
                ColdStartBenchmark.Report cold = ColdStartBenchmark.run(root, runtime, stack);
                write(root, "cold-start", "Cold start (issue #12)", cold.markdown());
            }
            if (only.isEmpty() || only.contains("fleet-reaction")) {
                FleetReactionBenchmark.Report reaction = FleetReactionBenchmark.run(runtime, stack);
                write(root, "fleet-reaction", "Elastic fleet: how fast it reacts (issue #17)", reaction.markdown());
            }
            if (only.isEmpty() || only.contains("folder-clone")) {
                CloneBenchmark.Report clone = CloneBenchmark.run(runtime, stack);
                write(root, "folder-clone", "Folder clone (issue #6)", clone.markdown());
            }
        }
        exitIfThreadsLinger();
    }

    /**
     * Every benchmark shuts its executors down; a thread that is not a daemon and still runs here would keep the JVM
     * (and the bench command) from ever returning, so it is named and the command fails instead of hanging.
     */
    static void exitIfThreadsLinger() {
        java.util.List<String> lingering = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && !t.isDaemon() && t != Thread.currentThread() && !t.getName().equals("DestroyJavaVM"))
                .map(Thread::getName).sorted().toList();
        if (!lingering.isEmpty()) {
            System.err.println("benchmarks: threads left running (an executor was not shut down): " + lingering);
            System.exit(1);
        }
    }

    static void write(Path root, String name, String title, String body) throws IOException {
        String section = String.join("\n", "### " + title, "", measured(), "", body, "");
        System.out.println(section);
        replaceSection(root.resolve("docs/benchmarks.md"), name, section);
    }

    /** The date, the machine, its load when the section is written, and the note of the run (SLUICE_BENCH_NOTE) if any. */
    static String measured() {
        String load;
        try {
            load = Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            load = "unknown";
        }
        String note = System.getenv("SLUICE_BENCH_NOTE");
        return "Measured " + LocalDate.now(ZoneOffset.UTC) + " on " + machine() + "; 1-minute load average when written: " + load + "."
                + (note == null || note.isBlank() ? "" : " " + note.strip());
    }

    static String machine() {
        String cpu = "unknown CPU";
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            cpu = lines.filter(l -> l.startsWith("model name")).findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
        } catch (IOException ignored) {
            // not Linux: the CPU stays unnamed
        }
        long memGiB = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize() / (1L << 30);
        return Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), " + memGiB + " GiB, "
                + "Java " + System.getProperty("java.version")
                + (System.getenv("SLUICE_MINISTACK_VERSION") == null ? "" : ", ministack " + System.getenv("SLUICE_MINISTACK_VERSION"));
    }

    /** Replaces the text between {@code <!-- name:start -->} and {@code <!-- name:end -->}, or appends the section. */
    static void replaceSection(Path file, String name, String section) throws IOException {
        String start = "<!-- " + name + ":start -->";
        String end = "<!-- " + name + ":end -->";
        String text = Files.exists(file) ? Files.readString(file) : "# Benchmarks\n\nRe-run with `./infra/local/sluice-local bench`.\n";
        String block = start + "\n" + section + end;
        int s = text.indexOf(start);
        int e = text.indexOf(end);
        text = s >= 0 && e > s ? text.substring(0, s) + block + text.substring(e + end.length()) : text + "\n" + block + "\n";
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }
}
