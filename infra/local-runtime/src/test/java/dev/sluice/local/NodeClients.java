package dev.sluice.local;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
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
        // Never inheritIO: the test JVM's stdin and stdout are the build's channel to it (surefire's command stream);
        // a child that reads the one or writes the other corrupts it and fails the build (CI on a clean clone saw it).
        Path log = Files.createDirectories(LocalStack.ROOT.resolve("infra/local-runtime/target")).resolve("npm-ci-node-clients.log");
        Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(DIR.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!npm.waitFor(120, TimeUnit.SECONDS) || npm.exitValue() != 0) {
            npm.destroyForcibly();
            throw new IllegalStateException("npm ci failed in " + DIR + ":\n" + Files.readString(log));
        }
    }
}
