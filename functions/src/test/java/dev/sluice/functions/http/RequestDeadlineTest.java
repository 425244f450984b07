package dev.sluice.functions.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** A request's work ends before the earlier of its function's timeout and API Gateway's 29 s, with a margin to answer. */
class RequestDeadlineTest {
    private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");

    private static Context remaining(int millis) {
        return new Context() {
            @Override public String getAwsRequestId() { return "r"; }
            @Override public String getLogGroupName() { return "g"; }
            @Override public String getLogStreamName() { return "s"; }
            @Override public String getFunctionName() { return "f"; }
            @Override public String getFunctionVersion() { return "1"; }
            @Override public String getInvokedFunctionArn() { return "arn"; }
            @Override public CognitoIdentity getIdentity() { return null; }
            @Override public ClientContext getClientContext() { return null; }
            @Override public int getRemainingTimeInMillis() { return millis; }
            @Override public int getMemoryLimitInMB() { return 1024; }
            @Override public LambdaLogger getLogger() { return null; }
        };
    }

    private static APIGatewayProxyRequestEvent receivedAt(Instant at) {
        APIGatewayProxyRequestEvent.ProxyRequestContext context = new APIGatewayProxyRequestEvent.ProxyRequestContext();
        context.setRequestTimeEpoch(at.toEpochMilli());
        return new APIGatewayProxyRequestEvent().withRequestContext(context);
    }

    @Test
    void theEarlierOfTheFunctionsTimeAndTheGatewaysDecides() {
        // A warm function with 28 s left, the request just received: the gateway's 29 s, less the margin.
        assertThat(ApiRequest.deadline(receivedAt(NOW), remaining(28_000), NOW)).isEqualTo(NOW.plusSeconds(25));
        // A cold start took 6 s before the handler ran: the gateway has 23 s left, the function (untouched by init) 28 s.
        assertThat(ApiRequest.deadline(receivedAt(NOW.minusSeconds(6)), remaining(28_000), NOW)).isEqualTo(NOW.plusSeconds(20));
        // A function with less time than the gateway: its own timeout.
        assertThat(ApiRequest.deadline(receivedAt(NOW), remaining(10_000), NOW)).isEqualTo(NOW.plusSeconds(7));
        // No context and no receipt time: the gateway's 29 s from now.
        assertThat(ApiRequest.deadline(new APIGatewayProxyRequestEvent(), null, NOW)).isEqualTo(NOW.plusSeconds(26));
        // A receipt time from a clock that disagrees (in the future, or long ago) is not believed.
        assertThat(ApiRequest.deadline(receivedAt(NOW.plusSeconds(5)), remaining(60_000), NOW)).isEqualTo(NOW.plusSeconds(26));
        assertThat(ApiRequest.deadline(receivedAt(NOW.minusSeconds(3600)), remaining(60_000), NOW)).isEqualTo(NOW.plusSeconds(26));
    }
}
