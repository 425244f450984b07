package dev.sluice.functions.scheduler;

import dev.sluice.functions.http.RequestLog;
import java.util.Map;

/** The log line (and return value) of a scheduler invocation: the common line with its passes, by group. */
final class SchedulerLog {
    private SchedulerLog() {
    }

    static Map<String, Object> summary(RequestLog log, Map<String, Object> passes) {
        return log.put("passes", passes).end(200, null);
    }

    static Map<String, Object> failed(RequestLog log, Map<String, Object> passes, String failure) {
        return log.put("passes", passes).end(500, failure);
    }
}
