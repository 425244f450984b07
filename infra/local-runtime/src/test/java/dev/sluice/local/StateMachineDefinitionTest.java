package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every state machine definition (infra/statemachines/*.asl.json) is valid States Language: npm asl-validator, pinned. */
class StateMachineDefinitionTest {
    static final Path DEFINITIONS = LocalStack.ROOT.resolve("infra/statemachines");

    record Result(int exit, String output) {
    }

    @Test
    void everyDefinitionIsValidStatesLanguage() throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.list(DEFINITIONS)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".asl.json")).sorted().toList();
        }
        assertThat(files).isNotEmpty();
        for (Path file : files) {
            Result result = validate(file);
            assertThat(result.exit()).as(file.getFileName() + ": " + result.output()).isZero();
        }
    }

    @Test
    void theValidatorRefusesABrokenDefinitionNamingTheProblem() throws Exception {
        Path broken = Files.createDirectories(LocalStack.ROOT.resolve("infra/local-runtime/target")).resolve("broken.asl.json");
        Files.writeString(broken, """
                {"StartAt": "Copy", "States": {"Copy": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                  "Next": "Finish"}}}
                """);
        Result result = validate(broken);
        assertThat(result.exit()).isNotZero();
        assertThat(result.output()).contains("MISSING_TRANSITION_TARGET").contains("Finish");
    }

    static Result validate(Path definition) throws Exception {
        NodeClients.install();
        Process p = new ProcessBuilder("node", "node_modules/asl-validator/dist/bin/asl-validator.js", "--json-path",
                definition.toString()).directory(NodeClients.DIR.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), output);
    }
}
