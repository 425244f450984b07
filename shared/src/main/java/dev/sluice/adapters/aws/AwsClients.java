package dev.sluice.adapters.aws;

import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.enhanced.dynamodb.DynamoDbEnhancedClient;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;

/**
 * The AWS clients of one container, built once with the one HTTP client. Region, credentials and endpoints come
 * from the standard environment ({@code AWS_REGION}, {@code AWS_ENDPOINT_URL}), so local runs need no special path.
 * Every client is built on {@link #httpClient()} and {@link #credentials()}, so that priming can call them offline.
 */
public final class AwsClients {
    private static final SdkHttpClient HTTP = Offline.httpClient(UrlConnectionHttpClient.builder().build());
    private static final AwsCredentialsProvider CREDENTIALS = Offline.credentials(DefaultCredentialsProvider.builder().build());

    private final DynamoDbClient dynamoDb;
    private final DynamoDbEnhancedClient enhanced;
    private final EventBridgeClient eventBridge;

    private AwsClients() {
        this.dynamoDb = DynamoDbClient.builder().httpClient(HTTP).credentialsProvider(CREDENTIALS)
                .overrideConfiguration(c -> c.addExecutionInterceptor(new AwsCallTimer()).addExecutionInterceptor(new CapacityMeter()))
                .build();
        this.enhanced = DynamoDbEnhancedClient.builder().dynamoDbClient(dynamoDb).build();
        this.eventBridge = EventBridgeClient.builder().httpClient(HTTP).credentialsProvider(CREDENTIALS)
                .overrideConfiguration(c -> c.addExecutionInterceptor(new AwsCallTimer())).build();
    }

    private static final class Holder {
        static final AwsClients INSTANCE = new AwsClients();
    }

    public static AwsClients shared() {
        return Holder.INSTANCE;
    }

    /** The one HTTP client of every AWS client (answers offline during priming: {@link Offline}). */
    public static SdkHttpClient httpClient() {
        return HTTP;
    }

    /** The credentials of every AWS client and presigner: the default chain's (made-up ones during priming). */
    public static AwsCredentialsProvider credentials() {
        return CREDENTIALS;
    }

    public DynamoDbClient dynamoDb() {
        return dynamoDb;
    }

    public DynamoDbEnhancedClient enhanced() {
        return enhanced;
    }

    public EventBridgeClient eventBridge() {
        return eventBridge;
    }
}
