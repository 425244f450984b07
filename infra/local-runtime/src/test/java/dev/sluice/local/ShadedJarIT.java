package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.local.bench.ColdStart;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The deployment artifact itself works: the other tests serve the functions from the module classes, so this one
 * starts a fresh JVM on the trimmed {@code functions/target/sluice-functions-lambda.jar} alone (plus the Lambda
 * runtime's event serializers) for every function, made by its no-argument constructor as Lambda makes it, and has it
 * answer a request that does real work against the emulator; and the SessionsApi once more after SnapStart priming.
 */
class ShadedJarIT {
    private static LocalStack local;
    private static List<ColdStart.Invocation> invocations;
    private static ColdStart coldStart;

    @BeforeAll
    static void stack() throws Exception {
        local = LocalStack.get();
        assertThat(LocalStack.ROOT.resolve("functions/target/sluice-functions-lambda.jar")).exists();
        invocations = ColdStart.invocations(local.stack, local.functions);
        coldStart = new ColdStart(LocalStack.ROOT);
    }

    @Test
    void everyFunctionAnswersFromTheJar() throws Exception {
        assertThat(invocations).hasSize(14);
        for (ColdStart.Invocation invocation : invocations) {
            ColdStart.Run run = coldStart.run(invocation, "cold");
            if (invocation.label().matches("(GET|POST) .*")) {
                assertThat(run.status()).as(invocation.label() + ": " + run.answer() + "\n" + run.log()).isEqualTo(200);
            } else {
                assertThat(run.answer()).as(invocation.label()).doesNotContain("errorMessage").isNotEqualTo("null");
            }
        }
    }

    @Test
    void aPrimedSessionsFunctionAnswersTheSessionFromTheEmulator() throws Exception {
        ColdStart.Invocation get = invocations.get(0);
        assertThat(get.label()).isEqualTo("GET /sessions/{id}");

        ColdStart.Run run = coldStart.run(get, "primed");

        assertThat(run.status()).as(run.answer() + "\n" + run.log()).isEqualTo(200);
        assertThat(run.answer()).contains("cold-start"); // the session's resource group, read from the emulator's table
        assertThat(run.primeMs()).isPositive();
    }

    @Test
    void theJarHoldsNoHttpClientThatNoFunctionUses() throws Exception {
        try (var jar = new java.util.zip.ZipFile(LocalStack.ROOT.resolve("functions/target/sluice-functions-lambda.jar").toFile())) {
            assertThat(jar.stream().map(java.util.zip.ZipEntry::getName))
                    .noneMatch(n -> n.startsWith("org/apache/hc/") || n.startsWith("software/amazon/awssdk/http/apache"))
                    .anyMatch(n -> n.startsWith("software/amazon/awssdk/http/urlconnection/"));
        }
        // 20 MB plus the Secrets Manager client (about 0.45 MB compressed) that reads the cursor key, plus room for the
        // project's own classes to grow (the session runtime facts took the last 7 KB of the old 20.5 MB budget; the
        // fleet's catalog and the spot interruption handling, issue 17, the last 20 KB of 20.6 MB).
        assertThat(Files.size(LocalStack.ROOT.resolve("functions/target/sluice-functions-lambda.jar"))).isLessThan(20_700_000L);
    }
}
