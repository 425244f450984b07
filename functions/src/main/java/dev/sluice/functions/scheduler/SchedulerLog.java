package dev.sluice.functions.scheduler;

import com.amazonaws.services.lambda.runtime.Context;
import dev.sluice.adapters.json.Json;
import java.util.LinkedHashMap;
import java.util.Map;

/** The one JSON log line (and return value) of a scheduler invocation. */
final class SchedulerLog {
    private SchedulerLog() {
    }

    static Map<String, Object> summary(String function, Context context, Map<String, Object> passes, long startedNanos) {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("level", "INFO");
        summary.put("requestId", context == null ? null : context.getAwsRequestId());
        summary.put("function", function);
        summary.put("passes", passes);
        summary.put("durationMs", (System.nanoTime() - startedNanos) / 1_000_000.0);
        System.out.println(Json.write(summary));
        return summary;
    }
}
