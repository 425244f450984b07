package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code tag_sam_image} of {@code infra/local/sluice-local}, run in bash as the script has it against a stand-in
 * {@code docker} on the PATH: sam's derived "rapid" image is removed when it was built from another base image (its
 * label names that base's tag) or carries no label, and kept when it was built from this one; otherwise sam would keep
 * running functions on a stale base after a rebuild.
 */
class SluiceLocalSamImageTest {
    private static final Path SCRIPT = LocalStack.ROOT.resolve("infra/local/sluice-local");

    @TempDir
    Path dir;

    private static String function(String name) throws IOException {
        List<String> body = new ArrayList<>();
        boolean in = false;
        for (String line : Files.readAllLines(SCRIPT)) {
            in |= line.startsWith(name + "() {");
            if (in) {
                body.add(line);
                if (line.equals("}") || (line.startsWith(name + "() {") && line.endsWith("}"))) {
                    return String.join("\n", body) + "\n";
                }
            }
        }
        throw new AssertionError("no function " + name + " in " + SCRIPT);
    }

    /** {@code rapid}: the label of the rapid image there is ("none": no rapid image; "": one without the label). */
    @ParameterizedTest
    @CsvSource({"old111, true", "'', true", "new222, false", "none, false"})
    void aRapidImageFromAnotherBaseIsRemoved(String rapid, boolean removed) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path calls = dir.resolve("calls");
        // inspect --format of the rapid image prints its label; a plain inspect succeeds if it exists; rmi and tag are logged.
        Files.writeString(bin.resolve("docker"), "#!/bin/bash\n"
                + "echo \"$*\" >> " + calls + "\n"
                + "case \"$1 $2\" in\n"
                + "  'image inspect') [ '" + rapid + "' = none ] && exit 1; case \"$*\" in *--format*) echo '" + rapid + "';; esac; exit 0;;\n"
                + "esac\n");
        assertThat(bin.resolve("docker").toFile().setExecutable(true)).isTrue();
        Path run = dir.resolve("run.sh");
        Files.writeString(run, "PATH=" + bin + ":$PATH\nSAM_BASE_IMAGE=public.ecr.aws/lambda/java:21-x86_64\n"
                + "SAM_RAPID_IMAGE=public.ecr.aws/lambda/java:21-rapid-x86_64\n"
                + function("log") + function("tag_sam_image")
                + "tag_sam_image sluice/lambda-java21:new222\necho \"image=$SLUICE_SAM_IMAGE\"\n");
        Process p = new ProcessBuilder("bash", run.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();

        assertThat(out).contains("image=sluice/lambda-java21:new222");
        String log = Files.readString(calls);
        assertThat(log).contains("tag sluice/lambda-java21:new222 public.ecr.aws/lambda/java:21-x86_64");
        assertThat(log.contains("rmi public.ecr.aws/lambda/java:21-rapid-x86_64")).as(log).isEqualTo(removed);
    }
}
