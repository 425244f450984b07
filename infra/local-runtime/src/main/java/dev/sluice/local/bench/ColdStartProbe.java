package dev.sluice.local.bench;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.amazonaws.services.lambda.runtime.serialization.PojoSerializer;
import com.amazonaws.services.lambda.runtime.serialization.events.LambdaEventSerializers;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One cold start, in a JVM of its own whose class path is the function jar and the Lambda runtime's event
 * serializers (nothing of the local runtime): makes the handler with its no-argument constructor and its event
 * serializer (what Lambda's runtime does at init), primes it when asked ({@code primed}: what a SnapStart snapshot
 * would hold), then decodes the event, answers it and encodes the answer. Prints the times on one line and the
 * answer on the next; {@link ColdStart} reads them.
 *
 * <pre>java -cp function.jar:serialization.jar:classes ColdStartProbe cold|primed HANDLER_CLASS EVENT_FILE</pre>
 */
public final class ColdStartProbe {
    private ColdStartProbe() {
    }

    /** The baseline: an API handler that answers 200 with an empty object, in a jar of its own. */
    public static final class EmptyHandler implements RequestHandler<APIGatewayProxyRequestEvent, APIGatewayProxyResponseEvent> {
        @Override
        public APIGatewayProxyResponseEvent handleRequest(APIGatewayProxyRequestEvent event, Context context) {
            return new APIGatewayProxyResponseEvent().withStatusCode(200).withBody("{}");
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    public static void main(String[] args) throws Exception {
        long start = System.nanoTime();
        String mode = args[0];
        Class<?> type = Class.forName(args[1]);
        RequestHandler handler = (RequestHandler) type.getConstructor().newInstance();
        Class<?> input = dev.sluice.functions.HandlerTypes.eventType(type);
        PojoSerializer<Object> in = serializer(input);
        long constructed = System.nanoTime();
        if (mode.equals("primed")) {
            Class.forName("dev.sluice.functions.Priming").getMethod("primeRegistered").invoke(null);
        }
        // From here on is what a function restored from a snapshot taken now would still do for its first request.
        long restored = System.nanoTime();
        byte[] event = Files.readAllBytes(Path.of(args[2]));
        Object decoded = in == null ? decodeMap(event) : in.fromJson(new ByteArrayInputStream(event));
        Object output = handler.handleRequest(decoded, null);
        String answer = encode(output);
        long answered = System.nanoTime();
        System.out.println(String.format(java.util.Locale.ROOT, "PROBE-TIMES %.3f %.3f %.3f",
                (constructed - start) / 1e6, (restored - constructed) / 1e6, (answered - restored) / 1e6));
        System.out.println("PROBE-ANSWER " + answer.replace('\n', ' '));
        System.out.flush();
        System.exit(0); // SDK and pool threads need not wind down
    }

    private static PojoSerializer<Object> serializer(Class<?> type) {
        if (!LambdaEventSerializers.isLambdaSupportedEvent(type.getName())) {
            return null;
        }
        @SuppressWarnings("unchecked")
        PojoSerializer<Object> s = (PojoSerializer<Object>) LambdaEventSerializers.serializerFor(type, ColdStartProbe.class.getClassLoader());
        return s;
    }

    /** A plain map input (scheduled ticks), read with the function jar's Jackson as the runtime reads POJOs with its own. */
    private static Object decodeMap(byte[] event) throws Exception {
        return new com.fasterxml.jackson.databind.ObjectMapper().readValue(event, java.util.Map.class);
    }

    private static String encode(Object output) throws Exception {
        if (output == null) {
            return "null";
        }
        PojoSerializer<Object> s = serializer(output.getClass());
        if (s != null) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            s.toJson(output, out);
            return out.toString(StandardCharsets.UTF_8);
        }
        return new com.fasterxml.jackson.databind.ObjectMapper().findAndRegisterModules().writeValueAsString(output);
    }
}
