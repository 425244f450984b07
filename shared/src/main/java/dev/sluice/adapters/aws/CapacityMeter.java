package dev.sluice.adapters.aws;

import java.util.List;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ConsumedCapacity;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutItemResponse;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnConsumedCapacity;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsResponse;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;

/**
 * Asks DynamoDB for the capacity each request consumes and adds it up per thread, reads and writes apart, so the
 * cost of a use case can be measured rather than estimated. Reading resets the sums.
 */
public final class CapacityMeter implements ExecutionInterceptor {
    private static final ThreadLocal<double[]> UNITS = ThreadLocal.withInitial(() -> new double[2]);

    /** Read and write capacity units consumed on this thread since the last {@link #take()}. */
    public record Units(double read, double write) {
    }

    public static Units take() {
        double[] u = UNITS.get();
        Units units = new Units(u[0], u[1]);
        u[0] = 0;
        u[1] = 0;
        return units;
    }

    @Override
    public SdkRequest modifyRequest(Context.ModifyRequest context, ExecutionAttributes attributes) {
        SdkRequest r = context.request();
        ReturnConsumedCapacity total = ReturnConsumedCapacity.TOTAL;
        if (r instanceof PutItemRequest p) return p.toBuilder().returnConsumedCapacity(total).build();
        if (r instanceof UpdateItemRequest u) return u.toBuilder().returnConsumedCapacity(total).build();
        if (r instanceof DeleteItemRequest d) return d.toBuilder().returnConsumedCapacity(total).build();
        if (r instanceof GetItemRequest g) return g.toBuilder().returnConsumedCapacity(total).build();
        if (r instanceof QueryRequest q) return q.toBuilder().returnConsumedCapacity(total).build();
        if (r instanceof ScanRequest s) return s.toBuilder().returnConsumedCapacity(total).build();
        if (r instanceof TransactWriteItemsRequest t) return t.toBuilder().returnConsumedCapacity(total).build();
        if (r instanceof BatchGetItemRequest bg) return bg.toBuilder().returnConsumedCapacity(total).build();
        if (r instanceof BatchWriteItemRequest bw) return bw.toBuilder().returnConsumedCapacity(total).build();
        return r;
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        SdkResponse r = context.response();
        if (r instanceof PutItemResponse p) add(1, p.consumedCapacity());
        else if (r instanceof UpdateItemResponse u) add(1, u.consumedCapacity());
        else if (r instanceof DeleteItemResponse d) add(1, d.consumedCapacity());
        else if (r instanceof TransactWriteItemsResponse t) addAll(1, t.consumedCapacity());
        else if (r instanceof BatchWriteItemResponse bw) addAll(1, bw.consumedCapacity());
        else if (r instanceof GetItemResponse g) add(0, g.consumedCapacity());
        else if (r instanceof QueryResponse q) add(0, q.consumedCapacity());
        else if (r instanceof ScanResponse s) add(0, s.consumedCapacity());
        else if (r instanceof BatchGetItemResponse bg) addAll(0, bg.consumedCapacity());
    }

    private static void addAll(int kind, List<ConsumedCapacity> capacities) {
        if (capacities != null) {
            capacities.forEach(c -> add(kind, c));
        }
    }

    private static void add(int kind, ConsumedCapacity c) {
        if (c != null && c.capacityUnits() != null) {
            UNITS.get()[kind] += c.capacityUnits();
        }
    }
}
