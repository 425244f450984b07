package dev.sluice.adapters.aws;

import software.amazon.awssdk.enhanced.dynamodb.DynamoDbEnhancedClient;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;

/**
 * The AWS clients of one container, built once with the one HTTP client. Region, credentials and endpoints come
 * from the standard environment ({@code AWS_REGION}, {@code AWS_ENDPOINT_URL}), so local runs need no special path.
 */
public final class AwsClients {
    private static final SdkHttpClient HTTP = UrlConnectionHttpClient.builder().build();

    private final DynamoDbClient dynamoDb;
    private final DynamoDbEnhancedClient enhanced;
    private final EventBridgeClient eventBridge;

    private AwsClients() {
        this.dynamoDb = DynamoDbClient.builder().httpClient(HTTP)
                .overrideConfiguration(c -> c.addExecutionInterceptor(new AwsCallTimer()).addExecutionInterceptor(new CapacityMeter()))
                .build();
        this.enhanced = DynamoDbEnhancedClient.builder().dynamoDbClient(dynamoDb).build();
        this.eventBridge = EventBridgeClient.builder().httpClient(HTTP)
                .overrideConfiguration(c -> c.addExecutionInterceptor(new AwsCallTimer())).build();
    }

    private static final class Holder {
        static final AwsClients INSTANCE = new AwsClients();
    }

    public static AwsClients shared() {
        return Holder.INSTANCE;
    }

    public static SdkHttpClient httpClient() {
        return HTTP;
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
