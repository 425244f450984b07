package dev.sluice.adapters.s3;

import dev.sluice.adapters.aws.AwsCallTimer;
import dev.sluice.adapters.aws.AwsClients;
import dev.sluice.core.port.SessionLogs;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * The tail of each session's output as one S3 object ({@code logs/<session id>}), replaced by the agent as the session
 * runs; S3 rather than DynamoDB because a 64 KiB write costs 64 write units in a table and one request here. The
 * bucket's lifecycle rule expires them.
 */
public final class S3SessionLogs implements SessionLogs {
    private final S3Client s3;
    private final String bucket;

    public S3SessionLogs(S3Client s3, String bucket) {
        this.s3 = s3;
        this.bucket = bucket;
    }

    /** A client on the shared HTTP client; path-style addressing when an endpoint is named (the local emulator). */
    public static S3SessionLogs create(String bucket) {
        boolean local = System.getenv("AWS_ENDPOINT_URL") != null || System.getProperty("aws.endpointUrl") != null;
        S3Client s3 = S3Client.builder().httpClient(AwsClients.httpClient()).credentialsProvider(AwsClients.credentials()).forcePathStyle(local)
                .overrideConfiguration(c -> c.addExecutionInterceptor(new AwsCallTimer())).build();
        return new S3SessionLogs(s3, bucket);
    }

    @Override
    public void put(String sessionId, String text) {
        s3.putObject(b -> b.bucket(bucket).key(key(sessionId)).contentType("text/plain; charset=utf-8"),
                RequestBody.fromString(text, StandardCharsets.UTF_8));
    }

    @Override
    public Optional<String> get(String sessionId) {
        try {
            return Optional.of(s3.getObjectAsBytes(b -> b.bucket(bucket).key(key(sessionId))).asString(StandardCharsets.UTF_8));
        } catch (NoSuchKeyException none) {
            return Optional.empty();
        }
    }

    private static String key(String sessionId) {
        return "logs/" + sessionId;
    }
}
