package dev.sluice.local;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The pinned npm packages of src/test/node (package-lock.json), installed there with {@code npm ci} once. */
final class NodeClients {
    static final Path DIR = LocalStack.ROOT.resolve("infra/local-runtime/src/test/node");

    private NodeClients() {
    }

    static synchronized void install() throws IOException, InterruptedException {
        JsonNode dependencies = ExpandedTemplate.MAPPER.readTree(DIR.resolve("package.json").toFile()).path("dependencies");
        boolean all = true;
        for (var names = dependencies.fieldNames(); names.hasNext(); ) {
            all &= Files.isDirectory(DIR.resolve("node_modules").resolve(names.next()));
        }
        if (all) {
            return;
        }
        Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(DIR.toFile()).inheritIO().start();
        if (!npm.waitFor(120, TimeUnit.SECONDS) || npm.exitValue() != 0) {
            throw new IllegalStateException("npm ci failed in " + DIR);
        }
    }
}
