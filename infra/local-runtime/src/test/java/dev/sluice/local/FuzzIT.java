package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Schemathesis fuzzes the running local API from infra/openapi/sluice.yaml: no 5xx, and every response matches its
 * documented status, content type and schema. Bounded (25 examples an operation, a fixed seed) so CI stays quick;
 * run it unbounded by hand with the command in the README.
 */
class FuzzIT {

    private static void fuzz(LocalStack local, String token) throws Exception {
        Path venv = Path.of(System.getenv().getOrDefault("SLUICE_VENV", LocalStack.ROOT.resolve(".venv").toString()));
        List<String> command = List.of(venv.resolve("bin/schemathesis").toString(), "run", "infra/openapi/sluice.yaml",
                "--url", local.apiUrl, "-H", "Authorization: Bearer " + token,
                "--checks", "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance",
                "--max-examples", "25", "--seed", "20261124", "--workers", "2", "--no-color");
        Process p = new ProcessBuilder(command).directory(LocalStack.ROOT.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(240, TimeUnit.SECONDS)).isTrue();
        String report = new String(out, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(report).isZero();
        assertThat(report).contains("generated");
    }

    @Test
    void fuzzingAsAnAdminFindsNoServerErrorAndNoSchemaBreak() throws Exception {
        LocalStack local = LocalStack.get();
        assertThat(new ApiClient(local.apiUrl).put("/resource-groups/fuzz", local.adminToken(), "{}").status()).isIn(200, 201);
        fuzz(local, local.adminToken());
    }

    @Test
    void fuzzingAsAUserFindsNoServerErrorAndNoSchemaBreak() throws Exception {
        LocalStack local = LocalStack.get();
        fuzz(local, local.token("fuzzer"));
    }
}
