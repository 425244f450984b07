package dev.sluice.agent.runtime;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Records a workload's steps in order and lets a test wait for its last one. */
final class RecordingListener implements SessionRuntime.Listener {

    private final List<String> steps = new ArrayList<>();
    private final CountDownLatch ended = new CountDownLatch(1);
    private final CountDownLatch running = new CountDownLatch(1);
    volatile String containerId;
    volatile Map<String, Object> devices;
    volatile String failure;
    volatile Integer exitCode;

    @Override
    public synchronized void pulling() {
        steps.add("pulling");
    }

    @Override
    public synchronized void preparing() {
        steps.add("preparing");
    }

    @Override
    public synchronized void running(String containerId, Map<String, Object> devices) {
        this.containerId = containerId;
        this.devices = devices;
        steps.add("running");
        running.countDown();
    }

    @Override
    public synchronized void exited(int exitCode) {
        this.exitCode = exitCode;
        steps.add("exited(" + exitCode + ")");
        ended.countDown();
    }

    @Override
    public synchronized void failed(String message) {
        this.failure = message;
        steps.add("failed");
        ended.countDown();
    }

    synchronized List<String> steps() {
        return List.copyOf(steps);
    }

    /** Waits for exited or failed (the workload runs on the runtime's own threads). */
    List<String> awaitEnd(Duration timeout) throws InterruptedException {
        if (!ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the workload did not end within " + timeout + "; steps so far: " + steps());
        }
        return steps();
    }

    void awaitRunning(Duration timeout) throws InterruptedException {
        if (!running.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the workload did not start within " + timeout + "; steps so far: " + steps());
        }
    }
}
