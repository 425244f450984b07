package dev.sluice.functions.http;

import com.amazonaws.services.lambda.runtime.Context;
import dev.sluice.adapters.json.Json;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one log-line writer of every handler, HTTP or not: one JSON line per request (or per delivered message) of the
 * same shape, {@code level, requestId, function, method, route, status, durationMs}, then what the handler adds
 * ({@link #put}), then {@code error} when it failed. A handler that is not HTTP names its trigger as the route
 * ({@code schedule}, {@code event}, {@code queue}, {@code step}) and logs 200 for work done and 500 for a failure.
 */
public final class RequestLog {
    private final Context context;
    private final String function;
    private final long startedNanos = System.nanoTime();
    private String method;
    private String route;
    private final Map<String, Object> details = new LinkedHashMap<>();

    private RequestLog(Context context, String function, String method, String route) {
        this.context = context;
        this.function = function;
        this.method = method;
        this.route = route;
    }

    /** A request of {@code function} starting now, answered on {@code route} (an HTTP route, or the trigger's kind). */
    public static RequestLog start(Context context, String function, String method, String route) {
        return new RequestLog(context, function, method, route);
    }

    /** A request of a function that is not HTTP (no method), started now by {@code trigger}. */
    public static RequestLog start(Context context, String function, String trigger) {
        return new RequestLog(context, function, null, trigger);
    }

    /** The route, when it is known only once the request is read. */
    public RequestLog route(String method, String route) {
        this.method = method;
        this.route = route;
        return this;
    }

    /** A field of this handler's own, written after the common ones. */
    public RequestLog put(String key, Object value) {
        details.put(key, value);
        return this;
    }

    /** The request's id as the Lambda runtime gave it (null without a context). */
    public String requestId() {
        return context == null ? null : context.getAwsRequestId();
    }

    /** Writes the line: INFO, or ERROR with {@code failure} when it is not null. */
    public Map<String, Object> end(int status, String failure) {
        return end(failure == null ? "INFO" : "ERROR", status, failure);
    }

    /** Writes the line at {@code level}; {@code failure} (null when none) goes to {@code error}. */
    public Map<String, Object> end(String level, int status, String failure) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("level", level);
        line.put("requestId", requestId());
        line.put("function", function);
        line.put("method", method);
        line.put("route", route);
        line.put("status", status);
        line.put("durationMs", (System.nanoTime() - startedNanos) / 1_000_000.0);
        line.putAll(details);
        if (failure != null) {
            line.put("error", failure);
        }
        System.out.println(Json.write(line));
        return line;
    }

    /** How a failure is logged: its class and message (never a stack trace, which would span many lines). */
    public static String failure(Throwable e) {
        return e.getClass().getName() + ": " + e.getMessage();
    }
}
