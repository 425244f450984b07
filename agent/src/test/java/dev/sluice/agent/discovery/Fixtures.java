package dev.sluice.agent.discovery;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The nvidia-smi outputs under {@code src/test/resources/nvidia-smi/} (see the README there for their origin). */
final class Fixtures {

    private Fixtures() {
    }

    static String nvidiaSmi(String file) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/nvidia-smi/" + file)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture nvidia-smi/" + file);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
