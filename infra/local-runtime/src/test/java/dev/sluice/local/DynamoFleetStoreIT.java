package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.adapters.aws.AwsClients;
import dev.sluice.adapters.dynamodb.DynamoFleetStore;
import dev.sluice.core.fleet.LaunchRecord;
import dev.sluice.core.fleet.PurchaseOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The fleet's store against the emulator's DynamoDB, in the stack's fleet table: every change happens once. */
class DynamoFleetStoreIT {
    final Instant t0 = Instant.now().truncatedTo(ChronoUnit.MILLIS);

    static DynamoFleetStore store() throws Exception {
        return new DynamoFleetStore(AwsClients.shared().dynamoDb(), LocalStack.get().functionEnvironment().get("FLEET_TABLE"));
    }

    static String id() {
        return "i-" + UUID.randomUUID().toString().replace("-", "").substring(0, 17);
    }

    LaunchRecord launch(String id, String group) {
        return new LaunchRecord(id, group, "g5.xlarge", PurchaseOption.SPOT, "us-east-1a", "subnet-0123456789abcdef0", 400_000,
                t0, List.of("s1", "s2"), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    @Test
    void aLaunchIsRecordedOnceListedLiveWhileNotTerminatedAndReadBackAsWritten() throws Exception {
        DynamoFleetStore store = store();
        String group = "fleet-" + UUID.randomUUID().toString().substring(0, 8);
        String a = id();
        String b = id();
        assertThat(store.recordLaunch(launch(a, group))).isTrue();
        assertThat(store.recordLaunch(launch(a, group))).as("the same instance twice").isFalse();
        assertThat(store.recordLaunch(launch(b, group))).isTrue();
        assertThat(store.find(a)).contains(launch(a, group));
        assertThat(store.live(group)).extracting(LaunchRecord::instanceId).containsExactlyInAnyOrder(a, b);
        assertThat(store.live("no-such-group")).isEmpty();

        assertThat(store.markTerminated(a, t0.plusSeconds(5), "retired")).isTrue();
        assertThat(store.markTerminated(a, t0.plusSeconds(6), "retired")).as("terminated once").isFalse();
        assertThat(store.find(a).orElseThrow().terminatedAt()).contains(t0.plusSeconds(5));
        assertThat(store.find(a).orElseThrow().endReason()).contains("retired");
        assertThat(store.live(group)).extracting(LaunchRecord::instanceId).containsExactly(b);
        assertThat(store.markJoined(a, t0.plusSeconds(7))).as("a terminated launch joins no more").isFalse();
        assertThat(store.markTerminated(id(), t0, "retired")).as("an unknown instance").isFalse();
    }

    @Test
    void joinedDrainingAndIdleSinceChangeOnlyFromWhatTheCallerSaw() throws Exception {
        DynamoFleetStore store = store();
        String group = "fleet-" + UUID.randomUUID().toString().substring(0, 8);
        String a = id();
        store.recordLaunch(launch(a, group));
        assertThat(store.markJoined(a, t0.plusSeconds(80))).isTrue();
        assertThat(store.markJoined(a, t0.plusSeconds(81))).as("joined once").isFalse();
        assertThat(store.find(a).orElseThrow().joinedAt()).contains(t0.plusSeconds(80));
        assertThat(store.find(a).orElseThrow().isLaunching()).isFalse();

        assertThat(store.setIdleSince(a, Optional.of(t0), Optional.of(t0.plusSeconds(90)))).as("it had none").isFalse();
        assertThat(store.setIdleSince(a, Optional.empty(), Optional.of(t0.plusSeconds(90)))).isTrue();
        assertThat(store.setIdleSince(a, Optional.empty(), Optional.of(t0.plusSeconds(91)))).as("set meanwhile").isFalse();
        assertThat(store.find(a).orElseThrow().idleSince()).contains(t0.plusSeconds(90));
        assertThat(store.setIdleSince(a, Optional.of(t0.plusSeconds(90)), Optional.empty())).isTrue();
        assertThat(store.find(a).orElseThrow().idleSince()).isEmpty();

        assertThat(store.markDraining(a, t0.plusSeconds(100))).isTrue();
        assertThat(store.markDraining(a, t0.plusSeconds(101))).as("drained once").isFalse();
        assertThat(store.find(a).orElseThrow().drainingSince()).contains(t0.plusSeconds(100));
        assertThat(store.markJoined(id(), t0)).as("an unknown instance").isFalse();
    }

    @Test
    void concurrentTerminationsAndJoinsWinOnce() throws Exception {
        DynamoFleetStore store = store();
        String group = "fleet-" + UUID.randomUUID().toString().substring(0, 8);
        String a = id();
        String b = id();
        store.recordLaunch(launch(a, group));
        store.recordLaunch(launch(b, group));
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Callable<Boolean>> terminations = new ArrayList<>();
            List<Callable<Boolean>> joins = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int n = i;
                terminations.add(() -> store.markTerminated(a, t0.plusSeconds(n), "retired"));
                joins.add(() -> store.markJoined(b, t0.plusSeconds(n)));
            }
            assertThat(count(pool.invokeAll(terminations))).isEqualTo(1);
            assertThat(count(pool.invokeAll(joins))).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
        assertThat(store.live(group)).extracting(LaunchRecord::instanceId).containsExactly(b);
    }

    private static long count(List<Future<Boolean>> results) throws Exception {
        long n = 0;
        for (Future<Boolean> f : results) {
            n += f.get() ? 1 : 0;
        }
        return n;
    }

    @Test
    void bootTimesKeepTheLast20OfATypeNewestLastEvenWhenJoinsRace() throws Exception {
        DynamoFleetStore store = store();
        String type = "g" + UUID.randomUUID().toString().substring(0, 6).replaceAll("[^a-z0-9]", "x") + ".test";
        assertThat(store.bootTimes(type)).isEmpty();
        for (int i = 1; i <= 25; i++) {
            store.recordBootTime(type, Duration.ofSeconds(i), t0);
        }
        List<Duration> window = store.bootTimes(type);
        assertThat(window).hasSize(DynamoFleetStore.BOOT_WINDOW);
        assertThat(window.get(0)).isEqualTo(Duration.ofSeconds(6));
        assertThat(window.get(19)).isEqualTo(Duration.ofSeconds(25));

        String racing = type + "2";
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Callable<Void>> joins = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                int n = i;
                joins.add(() -> {
                    store.recordBootTime(racing, Duration.ofMillis(1000 + n), t0);
                    return null;
                });
            }
            for (Future<Void> f : pool.invokeAll(joins)) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(store.bootTimes(racing)).as("no sample lost to a race").containsExactlyInAnyOrder(
                Duration.ofMillis(1000), Duration.ofMillis(1001), Duration.ofMillis(1002), Duration.ofMillis(1003));
    }
}
