package dev.sluice.local.iam;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.adapters.json.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The IAM contract, checked after every other emulator test has run (a failsafe execution of its own, after the
 * first; see infra/local-runtime/pom.xml): each AWS call a function made during those tests needs IAM actions that
 * its role in the expanded template grants (template.yaml expanded by the SAM translator, as CloudFormation would).
 * A call not granted fails the build, naming the function, the action and the resource.
 *
 * <p>It reads the recording ({@link AwsCallRecorder#file()}); to check a recording again in a dev loop, run this
 * test alone ({@code -Dit.test=IamContractIT}), optionally with {@code -Dsluice.iam.calls=FILE}. No recording, or one
 * without calls, fails: the contract never passes on nothing.
 */
class IamContractIT {
    private static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();
    private static JsonNode template;
    private static Recording recording;

    @BeforeAll
    static void expandAndRead() throws Exception {
        Path file = AwsCallRecorder.file();
        assertThat(file).as("no recording of AWS calls at " + file + ": the emulator tests record it (mvn verify runs them "
                + "before this test)").exists();
        recording = Recording.read(file);
        assertThat(recording.calls()).as("the recording " + file + " holds no AWS call of any function: the emulator tests "
                + "that ran made none, so the contract would prove nothing").isNotEmpty();
        template = expandedTemplate();
    }

    /** template.yaml as CloudFormation expands it (infra/checks/expand_template.py, with the pinned SAM translator). */
    static JsonNode expandedTemplate() throws Exception {
        Path venv = Path.of(System.getenv().getOrDefault("SLUICE_VENV", ROOT.resolve(".venv").toString()));
        Path out = Path.of("target/expanded-template.json").toAbsolutePath();
        Files.createDirectories(out.getParent());
        Process expand = new ProcessBuilder(venv.resolve("bin/python").toString(), "infra/checks/expand_template.py", "template.yaml",
                out.toString()).directory(ROOT.toFile()).redirectErrorStream(true).start();
        assertThat(expand.waitFor(120, TimeUnit.SECONDS)).as("the template expands within 2 minutes").isTrue();
        String output = new String(expand.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(expand.exitValue()).as("expand_template.py failed: " + output).isZero();
        return Json.MAPPER.readTree(out.toFile());
    }

    @Test
    void everyRecordedCallIsGrantedByItsFunctionsRole() throws Exception {
        IamContract contract = new IamContract(template, recording.stack());
        IamContract.Report report = contract.check(recording.calls());
        Files.writeString(Path.of("target/iam-contract.txt").toAbsolutePath(), summary(report), StandardCharsets.UTF_8);
        assertThat(report.violations())
                .as("AWS calls the functions made that their roles in the expanded template do not allow (recorded in %s):%n%s",
                        AwsCallRecorder.file(), describe(report.violations()))
                .isEmpty();
    }

    @Test
    void theContractFailsWhenAGrantARecordedCallNeedsIsRemoved() {
        IamContract contract = new IamContract(template, recording.stack());
        // Preferably the EventBridge PutEvents of the sessions API; any call that is granted otherwise.
        AwsCall call = recording.calls().stream()
                .filter(c -> contract.check(List.of(c)).violations().isEmpty())
                .min(Comparator.comparing((AwsCall c) -> !(c.operation().equals("PutEvents") && c.function().contains("SessionsApiFunction")))
                        .thenComparing(c -> !c.operation().equals("PutEvents")).thenComparing(AwsCall::sameAs))
                .orElseThrow(() -> new AssertionError("no recorded call is granted, so no grant can be removed"));
        String function = recording.stack().functionLogicalId(call.function()).orElseThrow();
        IamActions.Need need = IamActions.needs(call, recording.stack()).get(0);
        String role = contract.roleOf(function);

        JsonNode without = IamContract.withoutAction(template, role, need.action());
        IamContract.Report report = new IamContract(without, recording.stack()).check(recording.calls());

        assertThat(report.violations()).as("with %s removed from %s", need.action(), role)
                .anySatisfy(v -> {
                    assertThat(v.function()).isEqualTo(function);
                    assertThat(v.action()).isEqualTo(need.action());
                    assertThat(v.resource()).isEqualTo(need.resource());
                    assertThat(v.toString()).contains(function, need.action(), need.resource());
                });
        List<String> before = contract.check(recording.calls()).violations().stream().map(IamContract.Violation::toString).toList();
        assertThat(report.violations().stream().filter(v -> !before.contains(v.toString())).toList())
                .as("only the removed grant is missing").allSatisfy(v -> {
            assertThat(v.function()).isEqualTo(function);
            assertThat(v.action()).isEqualTo(need.action());
        });
    }

    static String describe(List<IamContract.Violation> violations) {
        Map<String, List<String>> byFunction = new TreeMap<>();
        for (IamContract.Violation v : violations) {
            byFunction.computeIfAbsent(v.function(), f -> new ArrayList<>())
                    .add(v.action().equals("?") ? v.reason() + " (" + v.call() + ")"
                            : v.action() + " on " + v.resource() + ", for " + v.call());
        }
        return byFunction.entrySet().stream()
                .map(e -> "  " + e.getKey() + ":\n" + e.getValue().stream().map(s -> "    " + s).collect(Collectors.joining("\n")))
                .collect(Collectors.joining("\n"));
    }

    private static String summary(IamContract.Report report) {
        StringBuilder s = new StringBuilder();
        s.append(recording.calls().size()).append(" distinct calls recorded; ").append(report.checked().size())
                .append(" (function, action) pairs checked; ").append(report.violations().size()).append(" not granted\n");
        report.checked().forEach(p -> s.append("checked ").append(p).append('\n'));
        report.violations().forEach(v -> s.append("NOT GRANTED ").append(v).append('\n'));
        return s.toString();
    }
}
