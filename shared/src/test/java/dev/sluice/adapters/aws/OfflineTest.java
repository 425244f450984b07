package dev.sluice.adapters.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;

class OfflineTest {
    private final AtomicInteger asked = new AtomicInteger();
    private final AwsCredentialsProvider chain = () -> {
        asked.incrementAndGet();
        return AwsBasicCredentials.create("real", "real-secret");
    };
    private final SdkHttpClient network = new SdkHttpClient() {
        @Override
        public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
            asked.incrementAndGet();
            throw new IllegalStateException("the network was used");
        }

        @Override
        public void close() {
        }
    };

    @Test
    void offlineTheCredentialChainIsNotAskedAndTheNetworkNotUsed() throws Exception {
        AwsCredentialsProvider credentials = Offline.credentials(chain);
        SdkHttpClient http = Offline.httpClient(network);
        HttpExecuteRequest request = HttpExecuteRequest.builder()
                .request(SdkHttpRequest.builder().method(SdkHttpMethod.POST).uri(java.net.URI.create("https://dynamodb.us-east-1.amazonaws.com/")).build())
                .build();

        HttpExecuteResponse answer = Offline.run(() -> {
            assertThat(credentials.resolveCredentials().accessKeyId()).isEqualTo("AKIDPRIMINGONLY00000");
            try {
                return http.prepareRequest(request).call();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });

        assertThat(asked).hasValue(0);
        assertThat(answer.httpResponse().statusCode()).isEqualTo(200);
        assertThat(new String(answer.responseBody().orElseThrow().readAllBytes())).isEqualTo("{}");
    }

    @Test
    void otherwiseBothAreTheRealOnes() {
        assertThat(Offline.credentials(chain).resolveCredentials().accessKeyId()).isEqualTo("real");
        assertThatThrownBy(() -> Offline.httpClient(network).prepareRequest(HttpExecuteRequest.builder()
                .request(SdkHttpRequest.builder().method(SdkHttpMethod.GET).uri(java.net.URI.create("https://example.com/")).build()).build()))
                .hasMessageContaining("network");
        assertThat(Offline.active()).isFalse();
    }
}
