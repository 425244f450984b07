package dev.sluice.local.bench;

import dev.sluice.local.FunctionHost;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.dynamodb.model.ConsumedCapacity;

/**
 * Counts every AWS request any SDK client of this JVM makes while counting is on (a global interceptor, listed in
 * {@code software/amazon/awssdk/global/handlers/execution.interceptors}; off, it does nothing), by the invocation it
 * was made for ({@link FunctionHost#currentInvocation()}), service and operation: requests, the entries of batched
 * requests (PutEvents, SendMessageBatch), and DynamoDB capacity units as the service reports them (when the client
 * asks for them, as the stack's DynamoDB client does).
 */
public final class AwsTally implements ExecutionInterceptor {
    private static volatile boolean on;
    private static final Map<Key, Counts> COUNTS = new ConcurrentHashMap<>();
    private static final List<String> READS = List.of("GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems");

    /** The invocation of a request made outside any function (a benchmark's own thread, or threads it started). */
    public static final String OUTSIDE = "(outside any function)";

    /** Who asked (an invocation's label, or outside any function), and what. */
    public record Key(String invocation, String service, String operation) {
    }

    /** Requests, entries (one per request unless batched) and DynamoDB units. */
    public static final class Counts {
        final LongAdder requests = new LongAdder();
        final LongAdder entries = new LongAdder();
        final DoubleAdder readUnits = new DoubleAdder();
        final DoubleAdder writeUnits = new DoubleAdder();

        public long requests() {
            return requests.sum();
        }

        public long entries() {
            return entries.sum();
        }

        public double readUnits() {
            return readUnits.sum();
        }

        public double writeUnits() {
            return writeUnits.sum();
        }
    }

    /** Clears the counts and starts counting. */
    public static void start() {
        COUNTS.clear();
        on = true;
    }

    /** Stops counting and returns what was counted, sorted. */
    public static Map<Key, Counts> stop() {
        on = false;
        Map<Key, Counts> out = new TreeMap<>(java.util.Comparator.comparing(Key::invocation).thenComparing(Key::service).thenComparing(Key::operation));
        out.putAll(COUNTS);
        COUNTS.clear();
        return out;
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        if (!on) {
            return;
        }
        String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        Key key = new Key(FunctionHost.currentInvocation().orElse(FunctionHost.currentFunction().orElse(OUTSIDE)),
                attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME), operation);
        Counts c = COUNTS.computeIfAbsent(key, k -> new Counts());
        c.requests.increment();
        c.entries.add(context.request().getValueForField("Entries", List.class).map(List::size).orElse(1));
        Object consumed = context.response().getValueForField("ConsumedCapacity", Object.class).orElse(null);
        double units = 0;
        if (consumed instanceof ConsumedCapacity one && one.capacityUnits() != null) {
            units = one.capacityUnits();
        } else if (consumed instanceof List<?> many) {
            for (Object o : many) {
                if (o instanceof ConsumedCapacity cc && cc.capacityUnits() != null) {
                    units += cc.capacityUnits();
                }
            }
        }
        (READS.contains(operation) ? c.readUnits : c.writeUnits).add(units);
    }
}
