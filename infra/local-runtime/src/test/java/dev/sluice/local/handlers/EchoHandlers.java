package dev.sluice.local.handlers;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.events.ScheduledEvent;
import java.util.Map;

/** Handlers that report what they were given, to prove the local runtime decodes the real Lambda event types. */
public final class EchoHandlers {
    private EchoHandlers() {
    }

    public static final class Api implements RequestHandler<APIGatewayProxyRequestEvent, APIGatewayProxyResponseEvent> {
        @Override
        public APIGatewayProxyResponseEvent handleRequest(APIGatewayProxyRequestEvent e, Context c) {
            return new APIGatewayProxyResponseEvent().withStatusCode(207)
                    .withBody(e.getHttpMethod() + " " + e.getResource() + " " + e.getPathParameters().get("id") + " " + c.getAwsRequestId());
        }
    }

    public static final class Sqs implements RequestHandler<SQSEvent, Map<String, Object>> {
        @Override
        public Map<String, Object> handleRequest(SQSEvent e, Context c) {
            return Map.of("records", e.getRecords().size(), "firstBody", e.getRecords().get(0).getBody(),
                    "source", e.getRecords().get(0).getEventSource());
        }
    }

    public static final class Scheduled implements RequestHandler<ScheduledEvent, Map<String, Object>> {
        @Override
        public Map<String, Object> handleRequest(ScheduledEvent e, Context c) {
            return Map.of("detailType", e.getDetailType(), "source", e.getSource(), "hour", e.getTime().getHourOfDay());
        }
    }

    /** Which function it runs as, on its own thread and on a thread it starts (as a handler's pool would). */
    public static final class WhoAmI implements RequestHandler<Map<String, Object>, Map<String, Object>> {
        @Override
        public Map<String, Object> handleRequest(Map<String, Object> e, Context c) {
            String[] started = new String[1];
            Thread t = new Thread(() -> started[0] = dev.sluice.local.FunctionHost.currentFunction().orElse("none"));
            t.start();
            try {
                t.join();
            } catch (InterruptedException ex) {
                throw new IllegalStateException(ex);
            }
            return Map.of("self", dev.sluice.local.FunctionHost.currentFunction().orElse("none"), "started", started[0]);
        }
    }

    public static final class Broken implements RequestHandler<Map<String, Object>, String> {
        @Override
        public String handleRequest(Map<String, Object> input, Context c) {
            throw new IllegalStateException("broken on purpose");
        }
    }
}
