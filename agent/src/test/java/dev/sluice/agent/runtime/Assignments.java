package dev.sluice.agent.runtime;

import dev.sluice.agent.Assignment;
import java.util.List;
import java.util.Map;
import java.util.Optional;

final class Assignments {

    private Assignments() {
    }

    static Assignment batch(String sessionId, String image, String command) {
        return new Assignment(sessionId, "k-" + sessionId, "batch", image, Map.of(), List.of(), Map.of(), List.of(),
                Optional.of(command), "main", 0, Optional.empty());
    }

    static Assignment gpuSession() {
        return new Assignment("s1", "k1", "interactive", "pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime",
                Map.of("cpu", "4", "mem", "17179869184", "cuda.device", "2"),
                List.of("GPU-a4c123b1-612d-d272-d137-1c17149d4395", "GPU-36b3216f-daee-b975-729f-ae923d5a4fd1"),
                Map.of("HF_TOKEN", "hf_secret_value", "MODE", "train with spaces"),
                List.of(new Assignment.Mount("data", "/var/lib/sluice/mounts/s1/data", "ro", "/home/work/data"),
                        new Assignment.Mount("out", "/var/lib/sluice/mounts/s1/out", "rw", "/home/work/out")),
                Optional.of("python train.py --epochs 3"), "main", 0, Optional.empty());
    }
}
