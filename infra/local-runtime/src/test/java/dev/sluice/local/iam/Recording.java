package dev.sluice.local.iam;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.sluice.adapters.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A recording read back: the stack it was made against and the calls recorded ({@link AwsCallRecorder}). */
public record Recording(StackFacts stack, List<AwsCall> calls) {

    @SuppressWarnings("unchecked")
    public static Recording read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty()) {
            throw new IllegalStateException(file + " is empty: it should start with the deployed stack");
        }
        Map<String, Object> first = Json.MAPPER.readValue(lines.get(0), new TypeReference<Map<String, Object>>() { });
        if (!first.containsKey("stack")) {
            throw new IllegalStateException(file + " does not start with the deployed stack");
        }
        List<AwsCall> calls = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            if (!line.isBlank()) {
                calls.add(AwsCall.fromJson(Json.MAPPER.readValue(line, new TypeReference<Map<String, Object>>() { })));
            }
        }
        return new Recording(StackFacts.fromJson((Map<String, Object>) first.get("stack")), calls);
    }
}
