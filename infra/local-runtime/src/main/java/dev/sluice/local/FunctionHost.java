package dev.sluice.local;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.serialization.PojoSerializer;
import com.amazonaws.services.lambda.runtime.serialization.events.LambdaEventSerializers;
import dev.sluice.adapters.Wiring;
import dev.sluice.adapters.aws.AwsCallTimer;
import dev.sluice.adapters.json.Json;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Constructor;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Serves the functions of one deployed stack inside this JVM: each function's handler class and environment come
 * from the stack, events are decoded with the Lambda runtime's own serializers into the handler's event type, and
 * every invocation is logged as one JSON line.
 */
public final class FunctionHost {
    /** One deployed function: its handler ({@code class::method}) and environment, as Lambda holds them. */
    public record Binding(String functionName, String handler, Map<String, String> environment) {
        public String handlerClass() {
            int sep = handler.indexOf("::");
            return sep < 0 ? handler : handler.substring(0, sep);
        }
    }

    private final Map<String, Binding> bindings;
    private final Map<String, RequestHandler<Object, Object>> handlers = new ConcurrentHashMap<>();
    private final Map<Map<String, String>, Wiring> wirings = new ConcurrentHashMap<>();
    private volatile HandlerTimer timer = (function, nanos, aws) -> { };

    /**
     * The function an invocation on this thread runs, as Lambda would run it in its own container: inherited by the
     * threads a handler starts while it runs (the pools of a handler instance belong to its function), so what those
     * threads do is told apart by function too (the tests record each function's AWS calls with it).
     */
    private static final InheritableThreadLocal<String> CURRENT_FUNCTION = new InheritableThreadLocal<>();

    /** The function whose invocation this thread runs (or whose invocation started it); empty outside invocations. */
    public static java.util.Optional<String> currentFunction() {
        return java.util.Optional.ofNullable(CURRENT_FUNCTION.get());
    }

    /** Work done on a function's behalf outside an invocation. */
    @FunctionalInterface
    public interface Work {
        void run() throws java.io.IOException, InterruptedException;
    }

    /**
     * Runs work as the function would run it (what the local runtime serves itself that a function serves on AWS, such
     * as the task event stream of the tasks API).
     */
    public static void runAs(String functionName, Work work) throws java.io.IOException, InterruptedException {
        String outer = CURRENT_FUNCTION.get();
        CURRENT_FUNCTION.set(functionName);
        try {
            work.run();
        } finally {
            CURRENT_FUNCTION.set(outer);
        }
    }

    /**
     * Told how long each handler call took (the handler alone: no event decoding, no proxy hop) and how much of that
     * was spent in AWS calls (the emulator's time).
     */
    @FunctionalInterface
    public interface HandlerTimer {
        void record(String functionName, long nanos, AwsCallTimer.Spent aws);
    }

    public void timeHandlersWith(HandlerTimer timer) {
        this.timer = timer;
    }

    /**
     * Told of every handler call: the function, its label ({@link #currentInvocation()}), the decoded event, the
     * handler's time and whether it returned. The benchmarks count invocations, API requests and SQS messages with it.
     */
    @FunctionalInterface
    public interface InvocationListener {
        void invoked(String functionName, String label, Object event, long nanos, boolean ok);
    }

    private volatile InvocationListener listener = (function, label, event, nanos, ok) -> { };

    public void listenToInvocationsWith(InvocationListener listener) {
        this.listener = listener;
    }

    /** The invocation this thread runs: the function, and for an API request also its method and resource. */
    private static final InheritableThreadLocal<String> CURRENT_INVOCATION = new InheritableThreadLocal<>();

    public static java.util.Optional<String> currentInvocation() {
        return java.util.Optional.ofNullable(CURRENT_INVOCATION.get());
    }

    static String label(String functionName, Object event) {
        if (event instanceof com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent api) {
            String label = functionName + " " + api.getHttpMethod() + " " + api.getResource();
            return carriesReports(api) ? label + " " + WITH_REPORTS : label;
        }
        return functionName;
    }

    /** Marks the label of a heartbeat that carries step reports: what it costs is a session's, not only the agent's. */
    public static final String WITH_REPORTS = "(with reports)";

    private static boolean carriesReports(com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent api) {
        if (!"/agent/heartbeat".equals(api.getResource()) || api.getBody() == null) {
            return false;
        }
        try {
            Object reports = Json.readObjectUnchecked(api.getBody()).get(dev.sluice.protocol.AgentReports.REPORTS);
            return reports instanceof java.util.List<?> l && !l.isEmpty();
        } catch (RuntimeException notJson) {
            return false;
        }
    }

    public FunctionHost(Map<String, Binding> bindings) {
        this.bindings = Map.copyOf(bindings);
        prepareSerializers();
    }

    /** Makes the event serializers of every bound handler before the first invocation (see {@link #serializer}). */
    private void prepareSerializers() {
        for (Binding binding : bindings.values()) {
            Class<?> type;
            try {
                type = dev.sluice.functions.HandlerTypes.eventType(Class.forName(binding.handlerClass(), false, FunctionHost.class.getClassLoader()));
            } catch (ClassNotFoundException | LinkageError | IllegalStateException e) {
                continue; // the invocation reports it
            }
            if (LambdaEventSerializers.isLambdaSupportedEvent(type.getName())) {
                serializer(type);
            }
        }
    }

    public Map<String, Binding> bindings() {
        return bindings;
    }

    /** The result of one invocation: the JSON reply, or a function error (which the emulator sees as non-2xx). */
    public record Invocation(boolean ok, byte[] body) {
    }

    /** Without a deadline from the emulator, an invocation has this long (counted from its start). */
    static final long DEFAULT_TIMEOUT_MS = 30_000;

    public Invocation invoke(String functionName, String requestId, byte[] event) {
        return invoke(functionName, requestId, event, System.currentTimeMillis() + DEFAULT_TIMEOUT_MS);
    }

    /** Invokes with the function's deadline (epoch milliseconds) as the emulator gives it, so the context counts down to it. */
    public Invocation invoke(String invokedName, String requestId, byte[] event, long deadlineMs) {
        long started = System.nanoTime();
        // The stack's callers invoke the alias "live" (a SnapStart version); ministack names the function alone in the
        // proxy's header, but a qualified name ("name:live", "name:3") is the same function's code here.
        String functionName = unqualified(invokedName);
        Binding binding = bindings.get(functionName);
        String outcome = "ok";
        String error = null;
        String outer = CURRENT_FUNCTION.get();
        CURRENT_FUNCTION.set(functionName);
        try {
            if (binding == null) {
                outcome = "unknown-function";
                return new Invocation(false, Json.write(Map.of("errorMessage", "There is no function " + functionName + " in this stack.",
                        "errorType", "ResourceNotFound")).getBytes(StandardCharsets.UTF_8));
            }
            RequestHandler<Object, Object> handler = handlers.computeIfAbsent(functionName, n -> instantiate(binding));
            Class<?> inputType = dev.sluice.functions.HandlerTypes.eventType(handler.getClass());
            Object input = decode(inputType, event);
            String label = label(functionName, input);
            String outerLabel = CURRENT_INVOCATION.get();
            CURRENT_INVOCATION.set(label);
            AwsCallTimer.take();
            long handlerStart = System.nanoTime();
            boolean returned = false;
            Object output;
            try {
                output = handler.handleRequest(input, new LocalContext(functionName, requestId, deadlineMs));
                returned = true;
            } finally {
                long handlerNanos = System.nanoTime() - handlerStart;
                CURRENT_INVOCATION.set(outerLabel);
                listener.invoked(functionName, label, input, handlerNanos, returned);
                if (returned) {
                    timer.record(functionName, handlerNanos, AwsCallTimer.take());
                }
            }
            return new Invocation(true, encode(output));
        } catch (RuntimeException | Error e) {
            outcome = "error";
            error = e.getClass().getName() + ": " + e.getMessage();
            return new Invocation(false, Json.write(Map.of("errorMessage", String.valueOf(e.getMessage()),
                    "errorType", e.getClass().getName())).getBytes(StandardCharsets.UTF_8));
        } finally {
            CURRENT_FUNCTION.set(outer);
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("level", error == null ? "INFO" : "ERROR");
            line.put("logger", "local-runtime");
            line.put("function", functionName);
            line.put("requestId", requestId);
            line.put("durationMs", Math.round((System.nanoTime() - started) / 10_000.0) / 100.0);
            line.put("outcome", outcome);
            if (error != null) {
                line.put("error", error);
            }
            System.out.println(Json.write(line));
        }
    }

    /** A function name without its version or alias qualifier (function names never hold a colon). */
    static String unqualified(String name) {
        int colon = name.indexOf(':');
        return colon < 0 ? name : name.substring(0, colon);
    }

    @SuppressWarnings("unchecked")
    private RequestHandler<Object, Object> instantiate(Binding binding) {
        try {
            Class<?> type = Class.forName(binding.handlerClass());
            try {
                // Every handler takes the one wiring root of its function's environment (shared by the functions of one environment).
                Constructor<?> withWiring = type.getConstructor(Wiring.class);
                Wiring wiring = wirings.computeIfAbsent(binding.environment(), Wiring::fromEnvironment);
                return (RequestHandler<Object, Object>) withWiring.newInstance(wiring);
            } catch (NoSuchMethodException e) {
                return (RequestHandler<Object, Object>) type.getConstructor().newInstance();
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create handler " + binding.handler(), e);
        }
    }

    private static final Map<Class<?>, PojoSerializer<Object>> SERIALIZERS = new HashMap<>();

    /**
     * The Lambda runtime's serializer for an event class, made once per class and one at a time. Each call of
     * {@code LambdaEventSerializers.serializerFor} registers modules on one process-wide ObjectMapper and copies it
     * for the classes that need mixins; the Lambda runtime makes them one invocation at a time, but this host runs
     * many functions at once, and two calls at the same moment once left ScheduledEvent's copy without the Joda-time
     * module, so that every later nudge failed to read the event's {@code time}.
     */
    @SuppressWarnings("unchecked")
    static synchronized PojoSerializer<Object> serializer(Class<?> type) {
        return SERIALIZERS.computeIfAbsent(type,
                t -> (PojoSerializer<Object>) LambdaEventSerializers.serializerFor(t, FunctionHost.class.getClassLoader()));
    }

    private static Object decode(Class<?> type, byte[] event) {
        if (LambdaEventSerializers.isLambdaSupportedEvent(type.getName())) {
            return serializer(type).fromJson(new ByteArrayInputStream(event));
        }
        try {
            return pojoSerializer(type).fromJson(new ByteArrayInputStream(event));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot decode the event as " + type.getName(), e);
        }
    }

    /**
     * The Lambda runtime's serializer for any other type (a handler's {@code Map} in or out), as the Runtime Interface
     * Client uses it: its Jackson configuration leaves out null values, so an answer reads the same here as on Lambda
     * (SamLocalIT compares them through the real runtime).
     */
    @SuppressWarnings("unchecked")
    private static PojoSerializer<Object> pojoSerializer(Class<?> type) {
        return (PojoSerializer<Object>) com.amazonaws.services.lambda.runtime.serialization.factories.JacksonFactory.getInstance()
                .getSerializer(type);
    }

    private static byte[] encode(Object output) {
        if (output == null) {
            return "null".getBytes(StandardCharsets.UTF_8);
        }
        if (LambdaEventSerializers.isLambdaSupportedEvent(output.getClass().getName())) {
            PojoSerializer<Object> serializer = serializer(output.getClass());
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            serializer.toJson(output, out);
            return out.toByteArray();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        pojoSerializer(output.getClass()).toJson(output, out);
        return out.toByteArray();
    }

    /** The Lambda context of a local invocation. */
    record LocalContext(String functionName, String requestId, long deadlineMs) implements Context {
        @Override public String getAwsRequestId() { return requestId; }
        @Override public String getLogGroupName() { return "/aws/lambda/" + functionName; }
        @Override public String getLogStreamName() { return "local"; }
        @Override public String getFunctionName() { return functionName; }
        @Override public String getFunctionVersion() { return "$LATEST"; }
        @Override public String getInvokedFunctionArn() { return "arn:aws:lambda:local:000000000000:function:" + functionName; }
        @Override public CognitoIdentity getIdentity() { return null; }
        @Override public ClientContext getClientContext() { return null; }
        @Override public int getRemainingTimeInMillis() { return (int) Math.max(0, deadlineMs - System.currentTimeMillis()); }
        @Override public int getMemoryLimitInMB() { return 1024; }
        @Override public LambdaLogger getLogger() {
            return new LambdaLogger() {
                @Override public void log(String message) { System.out.println(message); }
                @Override public void log(byte[] message) { System.out.println(new String(message, StandardCharsets.UTF_8)); }
            };
        }
    }
}
