package dev.sluice.functions.folders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import dev.sluice.functions.http.ApiRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Service limit: completing the largest upload (10,000 parts, each with S3's quoted-MD5 ETag, the longest path) is
 * accepted by the completion route, compact or indented, and the Lambda event that carries it stays under 6 MB.
 */
class CompletionBodyTest {
    private static final String ROUTE = "/folders/{name}/uploads/complete";

    private static Map<String, Object> largestCompletion() {
        List<Map<String, Object>> parts = new ArrayList<>();
        for (int n = 1; n <= 10_000; n++) {
            parts.add(Map.of("number", n, "etag", "\"" + String.format("%032x", (long) n * 0x9E3779B97F4A7C15L) + "\""));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("path", ("d".repeat(99) + "/").repeat(10) + "f".repeat(23));
        body.put("upload_id", "u".repeat(1024));
        body.put("parts", parts);
        return body;
    }

    private static APIGatewayProxyRequestEvent post(String body) {
        return new APIGatewayProxyRequestEvent().withHttpMethod("POST").withResource(ROUTE).withBody(body);
    }

    @Test
    void theLargestCompletionIsAcceptedCompactOrIndentedAndItsEventFitsLambda() throws Exception {
        ObjectMapper json = new ObjectMapper();
        Map<String, Object> largest = largestCompletion();
        assertThat(((String) largest.get("path")).length()).isEqualTo(1023);
        for (String body : List.of(json.writeValueAsString(largest),
                json.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(largest))) {
            int bytes = body.getBytes(StandardCharsets.UTF_8).length;
            assertThat(bytes).isGreaterThan(ApiRequest.MAX_BODY_BYTES).isLessThanOrEqualTo(FoldersApi.maxBodyBytesOf(ROUTE));
            Map<String, Object> parsed = new ApiRequest(post(body), FoldersApi.maxBodyBytesOf(ROUTE), java.time.Instant.MAX).jsonBody();
            assertThat((List<?>) parsed.get("parts")).hasSize(10_000);
            // What Lambda receives: the proxy event, the body escaped inside it.
            int event = json.writeValueAsString(post(body)).getBytes(StandardCharsets.UTF_8).length;
            assertThat(event).isLessThan(6 * 1024 * 1024);
        }
    }

    @Test
    void theRaisedCapIsOnlyTheCompletionsAndStillACap() {
        assertThat(FoldersApi.maxBodyBytesOf("/folders/{name}/uploads")).isEqualTo(ApiRequest.MAX_BODY_BYTES);
        assertThat(FoldersApi.maxBodyBytesOf("/folders")).isEqualTo(ApiRequest.MAX_BODY_BYTES);
        String tooBig = "{\"path\":\"" + "x".repeat(FoldersApi.COMPLETE_UPLOAD_MAX_BODY_BYTES) + "\"}";
        assertThatThrownBy(() -> new ApiRequest(post(tooBig), FoldersApi.maxBodyBytesOf(ROUTE), java.time.Instant.MAX).jsonBody())
                .isInstanceOfSatisfying(DomainException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.PAYLOAD_TOO_LARGE));
        // The worst a JSON body of the cap becomes in the event: every byte a quote, escaped to two.
        assertThat(2L * FoldersApi.COMPLETE_UPLOAD_MAX_BODY_BYTES + 64 * 1024).isLessThan(6L * 1024 * 1024);
    }
}
