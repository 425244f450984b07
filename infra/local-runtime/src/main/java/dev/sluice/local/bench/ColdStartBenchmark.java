package dev.sluice.local.bench;

import dev.sluice.local.LocalDeployer;
import dev.sluice.local.LocalRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * Issue #12: what the first invocation of each function costs, from a fresh JVM on the function jar, without priming
 * (a cold start without SnapStart) and after priming in the same JVM (what a SnapStart restore starts from), next to
 * an empty API handler's cold start in the same run; and the size of the jar.
 */
final class ColdStartBenchmark {
    /** Rounds of the headline comparison (empty handler, sessions function unprimed, primed) and of every other function. */
    private static final int HEADLINE_ROUNDS = 7;
    private static final int ROUNDS = 3;
    /** The jar before it was trimmed (issue #12): every dependency shaded in, the Apache HTTP client included. */
    private static final long JAR_BEFORE_BYTES = 23_340_329L;
    private static final int JAR_BEFORE_CLASSES = 12_946;

    private ColdStartBenchmark() {
    }

    record Report(String markdown) {
    }

    static Report run(Path root, LocalRuntime runtime, LocalDeployer.DeployedStack stack) throws Exception {
        List<ColdStart.Invocation> invocations = ColdStart.invocations(stack, runtime.host());
        ColdStart cold = new ColdStart(root);
        ColdStart.Invocation get = invocations.get(0);
        String flags = get.environment().getOrDefault("JAVA_TOOL_OPTIONS", "");

        List<ColdStart.Run> empty = new ArrayList<>();
        List<ColdStart.Run> unprimed = new ArrayList<>();
        List<ColdStart.Run> primed = new ArrayList<>();
        cold.empty(get.environment()); // the page cache holds the jars for every round alike
        for (int round = 0; round < HEADLINE_ROUNDS; round++) {
            empty.add(cold.empty(get.environment()));
            unprimed.add(check(cold.run(get, "cold")));
            primed.add(check(cold.run(get, "primed")));
        }

        List<String> rows = new ArrayList<>();
        for (ColdStart.Invocation invocation : invocations) {
            List<ColdStart.Run> c = new ArrayList<>();
            List<ColdStart.Run> p = new ArrayList<>();
            if (invocation == get) {
                c.addAll(unprimed);
                p.addAll(primed);
            } else {
                for (int round = 0; round < ROUNDS; round++) {
                    c.add(check(cold.run(invocation, "cold")));
                    p.add(check(cold.run(invocation, "primed")));
                }
            }
            rows.add(String.format(Locale.ROOT, "| %s: %s | %s | %s | %s | %s | %s |", invocation.function(), invocation.label(),
                    ms(median(c, ColdStart.Run::wallMs)), ms(median(c, ColdStart.Run::constructMs)), ms(median(c, ColdStart.Run::firstRequestMs)),
                    ms(median(p, ColdStart.Run::firstRequestMs)), ms(median(p, ColdStart.Run::primeMs))));
        }

        double emptyMs = median(empty, ColdStart.Run::wallMs);
        double primedMs = median(primed, ColdStart.Run::firstRequestMs);
        double unprimedMs = median(unprimed, ColdStart.Run::wallMs);
        Path jar = root.resolve(ColdStart.FUNCTION_JAR);
        long jarBytes = Files.size(jar);
        int jarClasses = classes(jar);
        String md = String.join("\n",
                "Each cold start is a fresh `java` process on the function jar alone (plus the Lambda runtime's event serializers), with "
                        + "the function's environment from the deployed stack, so the template's JVM flags (`JAVA_TOOL_OPTIONS=" + flags + "`); "
                        + "it makes the handler with its no-argument constructor as Lambda does, then answers one request that does real "
                        + "work against the emulator (the session read from DynamoDB with a real Cognito token, the JWKS fetched from the "
                        + "emulator's Cognito). *Primed* is the same JVM after `Priming` ran (the snapshot SnapStart would take): the time "
                        + "from that point to the answer is what a restored function still spends on its first request. The rounds "
                        + "alternate the baseline and the measured things (empty, unprimed, primed, then again).",
                "",
                "| first `GET /sessions/{id}` | median | every round |",
                "|---|---|---|",
                row("baseline: an empty API handler (its own jar), process start → answer", empty, ColdStart.Run::wallMs),
                row("SessionsApi without priming (no SnapStart), process start → answer", unprimed, ColdStart.Run::wallMs),
                row("… of which making the handler (control plane, AWS clients, event serializer)", unprimed, ColdStart.Run::constructMs),
                row("… of which the first request (token check and key fetch, GetItem, queue position, JSON): also what SnapStart "
                        + "without priming would leave, restored → answer", unprimed, ColdStart.Run::firstRequestMs),
                row("**SessionsApi primed (SnapStart): restored → answer**", primed, ColdStart.Run::firstRequestMs),
                row("priming itself (before the snapshot; no request pays it)", primed, ColdStart.Run::primeMs),
                "",
                String.format(Locale.ROOT, "Goal: the first `GET /sessions/{id}` within 1.5× the empty handler's cold start. Primed, it is "
                                + "answered %s after the restore point, %.2f× the empty handler's %s (goal %s); without SnapStart the first answer "
                                + "takes %s (%.1f× the empty handler). On Lambda a SnapStart cold start also includes restoring the snapshot, "
                                + "which Lambda does and this machine cannot measure.",
                        ms(primedMs), primedMs / emptyMs, ms(emptyMs), primedMs <= 1.5 * emptyMs ? "**met**" : "**not met**", ms(unprimedMs),
                        unprimedMs / emptyMs),
                "",
                "| function: first request (medians of " + ROUNDS + " rounds; sessions: " + HEADLINE_ROUNDS + ") | without priming: process start → answer "
                        + "| … making the handler | … first request | primed: restored → answer | priming |",
                "|---|---|---|---|---|---|",
                String.join("\n", rows),
                "",
                "The clone step is left out: its input is a running clone's state in the state machine (FoldersIT runs it).",
                "",
                "| function jar (`" + ColdStart.FUNCTION_JAR + "`) | size | classes |",
                "|---|---|---|",
                String.format(Locale.ROOT, "| before (every dependency shaded in, the unused Apache HTTP client included) | %.1f MB | %,d |",
                        JAR_BEFORE_BYTES / 1e6, JAR_BEFORE_CLASSES),
                String.format(Locale.ROOT, "| now (shade `minimizeJar`; no Apache HTTP client; whole artifacts kept where classes load by name) "
                        + "| %.1f MB | %,d |", jarBytes / 1e6, jarClasses),
                "",
                "The AWS SDK's service clients reference every operation of their service, so class-level trimming leaves most of "
                        + "each client in; the measured cost of the jar is in the rows above (class loading happens in \"making the "
                        + "handler\" and \"first request\").");
        return new Report(md);
    }

    private static ColdStart.Run check(ColdStart.Run run) {
        if (run.answer().contains("errorMessage") || run.status() >= 400) {
            throw new IllegalStateException("a cold start did not answer: " + run.answer() + "\n" + run.log());
        }
        return run;
    }

    private static int classes(Path jar) throws java.io.IOException {
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(jar.toFile())) {
            return (int) z.stream().filter(e -> e.getName().endsWith(".class")).count();
        }
    }

    private static String row(String what, List<ColdStart.Run> runs, ToDoubleFunction<ColdStart.Run> value) {
        return "| " + what + " | " + ms(median(runs, value)) + " | "
                + runs.stream().map(r -> String.format(Locale.ROOT, "%.0f", value.applyAsDouble(r))).collect(Collectors.joining(", ")) + " ms |";
    }

    private static double median(List<ColdStart.Run> runs, ToDoubleFunction<ColdStart.Run> value) {
        List<Double> v = new ArrayList<>();
        runs.forEach(r -> v.add(value.applyAsDouble(r)));
        Collections.sort(v);
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    private static String ms(double ms) {
        return String.format(Locale.ROOT, ms < 10 ? "%.1f ms" : "%.0f ms", ms);
    }
}
