package dev.sluice.adapters.aws;

import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

/**
 * Counts the AWS calls a thread makes and the time spent in them, so a handler's own time can be told apart from
 * the time its AWS services (or the emulator) take. Reading resets the count.
 */
public final class AwsCallTimer implements ExecutionInterceptor {
    private static final ExecutionAttribute<Long> STARTED = new ExecutionAttribute<>("sluice.call-started");
    private static final ThreadLocal<long[]> SPENT = ThreadLocal.withInitial(() -> new long[2]);

    /** Time and number of AWS calls on this thread since the last {@link #take()}. */
    public record Spent(long nanos, int calls) {
    }

    public static Spent take() {
        long[] s = SPENT.get();
        Spent spent = new Spent(s[0], (int) s[1]);
        s[0] = 0;
        s[1] = 0;
        return spent;
    }

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        attributes.putAttribute(STARTED, System.nanoTime());
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        add(attributes);
    }

    @Override
    public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
        add(attributes);
    }

    private static void add(ExecutionAttributes attributes) {
        Long started = attributes.getAttribute(STARTED);
        if (started != null) {
            long[] s = SPENT.get();
            s[0] += System.nanoTime() - started;
            s[1]++;
        }
    }
}
