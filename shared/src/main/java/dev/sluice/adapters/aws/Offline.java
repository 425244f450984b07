package dev.sluice.adapters.aws;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpResponse;

/**
 * Offline calls, for SnapStart priming: while {@link #run} runs on a thread, the AWS calls that thread makes go through
 * the whole SDK path (marshalling, endpoint rules, signing, unmarshalling) but are answered here with an empty JSON
 * object, so nothing reaches AWS and nothing is written; and the credentials they are signed with are made-up ones,
 * so no credentials are fetched (on a SnapStart function that would be a call to the credentials endpoint) or kept.
 * Other threads, and this one outside {@code run}, call AWS as usual.
 */
public final class Offline {
    private static final ThreadLocal<Boolean> ACTIVE = ThreadLocal.withInitial(() -> false);
    private static final AwsCredentials MADE_UP = AwsBasicCredentials.create("AKIDPRIMINGONLY00000", "priming-only-not-a-secret");
    private static final AtomicInteger ANSWERED = new AtomicInteger();

    private Offline() {
    }

    /** Runs {@code work} with this thread's AWS calls answered offline. */
    public static <T> T run(Supplier<T> work) {
        boolean was = ACTIVE.get();
        ACTIVE.set(true);
        try {
            return work.get();
        } finally {
            ACTIVE.set(was);
        }
    }

    public static boolean active() {
        return ACTIVE.get();
    }

    /** AWS requests answered offline so far. */
    public static int answered() {
        return ANSWERED.get();
    }

    /** The HTTP client of every AWS client: {@code delegate}, but for offline threads. */
    public static SdkHttpClient httpClient(SdkHttpClient delegate) {
        return new SdkHttpClient() {
            @Override
            public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
                if (!active()) {
                    return delegate.prepareRequest(request);
                }
                return new ExecutableHttpRequest() {
                    @Override
                    public HttpExecuteResponse call() {
                        ANSWERED.incrementAndGet();
                        byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
                        return HttpExecuteResponse.builder()
                                .response(SdkHttpResponse.builder().statusCode(200)
                                        .putHeader("Content-Type", "application/x-amz-json-1.0")
                                        .putHeader("Content-Length", Integer.toString(body.length)).build())
                                .responseBody(AbortableInputStream.create(new ByteArrayInputStream(body)))
                                .build();
                    }

                    @Override
                    public void abort() {
                    }
                };
            }

            @Override
            public String clientName() {
                return delegate.clientName();
            }

            @Override
            public void close() {
                delegate.close();
            }
        };
    }

    /** The credentials of every AWS client: {@code delegate}'s, but made-up ones for offline threads. */
    public static AwsCredentialsProvider credentials(AwsCredentialsProvider delegate) {
        return () -> {
            if (active()) {
                return MADE_UP;
            }
            return delegate.resolveCredentials();
        };
    }
}
