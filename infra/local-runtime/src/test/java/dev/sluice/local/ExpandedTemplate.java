package dev.sluice.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * template.yaml as CloudFormation deploys it: expanded by the SAM translator (infra/checks/expand_template.py, run with
 * the pinned venv) into target/expanded-template.json, once per test JVM. The checks over the expanded template read it.
 */
final class ExpandedTemplate {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final Path FILE = LocalStack.ROOT.resolve("infra/local-runtime/target/expanded-template.json");
    private static JsonNode expanded;

    private ExpandedTemplate() {
    }

    /** The venv with the pinned Python tools: SLUICE_VENV, or .venv at the root. */
    static Path venv() {
        return Path.of(System.getenv().getOrDefault("SLUICE_VENV", LocalStack.ROOT.resolve(".venv").toString()));
    }

    /** The expanded template.yaml (expanded once per JVM). */
    static synchronized JsonNode json() throws IOException, InterruptedException {
        if (expanded == null) {
            expand(LocalStack.ROOT.resolve("template.yaml"), FILE);
            expanded = MAPPER.readTree(FILE.toFile());
        }
        return expanded;
    }

    /** Expands a SAM template into CloudFormation JSON at {@code out}. */
    static void expand(Path template, Path out) throws IOException, InterruptedException {
        Files.createDirectories(out.getParent());
        Process p = new ProcessBuilder(venv().resolve("bin/python").toString(),
                LocalStack.ROOT.resolve("infra/checks/expand_template.py").toString(), template.toString(), out.toString())
                .directory(LocalStack.ROOT.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("expanding " + template + " failed:\n" + output);
        }
    }
}
