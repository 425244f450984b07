package dev.sluice.local;

import dev.sluice.core.json.JsonValue;
import dev.sluice.core.session.StatusData;
import dev.sluice.core.json.JsonObject;
import dev.sluice.core.request.RequestFields;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.adapters.ControlPlane;
import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import dev.sluice.core.port.SessionStore;
import dev.sluice.core.port.SessionStore.SaveOutcome;
import dev.sluice.core.session.IllegalTransitionException;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionChange;
import dev.sluice.core.session.SessionQuery;
import dev.sluice.core.session.SessionResult;
import dev.sluice.core.session.SessionSpec;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.session.SessionTransitions;
import dev.sluice.core.session.StatusChange;
import dev.sluice.core.usecase.IdempotencyKey;
import dev.sluice.core.usecase.SessionService;
import dev.sluice.core.usecase.SessionService.TransitionOutcome;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** The DynamoDB session store, against the tables the template creates in the emulator. */
class SessionStoreIT {
    private static ControlPlane plane;
    private static SessionStore store;

    @BeforeAll
    static void stack() throws Exception {
        plane = LocalStack.get().controlPlane();
        store = plane.sessionStore();
        plane.groupStore().put(dev.sluice.core.group.ResourceGroup.fromDefinition("store-it",
                RequestFields.of(Map.of()), Instant.now(), Instant.now()));
    }

    private static Principal user() {
        return new Principal("user-" + UUID.randomUUID(), "someone", Set.of("users"));
    }

    private static Session storedIn(SessionStatus status) {
        Instant now = Instant.now();
        SessionSpec spec = SessionSpec.parse(RequestFields.of(Map.of("image", "python:3.12", "resource_slots", Map.of("cpu", 1, "mem", "1g"))), now);
        Session pending = Session.enqueue(UUID.randomUUID().toString(), "owner-" + UUID.randomUUID(), spec, "store-it", now);
        Session s = new Session(pending.id(), pending.owner(), spec, "store-it", status, "test", StatusData.NONE,
                List.of(new StatusChange(status, now)), List.of(), pending.result(),
                now, Optional.empty(), Optional.empty(), 1);
        assertThat(store.create(s, Optional.empty())).isInstanceOf(SessionStore.CreateOutcome.Created.class);
        return s;
    }

    private static Session withStatus(Session s, SessionStatus to) {
        return new Session(s.id(), s.owner(), s.spec(), s.resourceGroup(), to, "forced", s.statusData(), s.statusHistory(),
                s.kernels(), s.result(), s.createdAt(), s.startedAt(), s.terminatedAt(), s.sequence() + 1);
    }

    @Test
    void everyTransitionOutsideTheMapIsRefusedAndWritesNothing() {
        int refused = 0;
        for (SessionStatus from : SessionStatus.values()) {
            for (SessionStatus to : SessionStatus.values()) {
                // The six retry re-queues are in the map, but refused too without the ended attempt they must carry.
                if (from == to || SessionTransitions.isAllowed(from, to) && !SessionTransitions.isRequeue(from, to)) {
                    continue;
                }
                Session stored = storedIn(from);
                assertThatThrownBy(() -> store.apply(SessionChange.update(withStatus(stored, to), from, stored.sequence())))
                        .isInstanceOf(IllegalTransitionException.class);
                Session after = store.find(stored.id()).orElseThrow();
                assertThat(after.status()).isEqualTo(from);
                assertThat(after.sequence()).isEqualTo(1);
                refused++;
            }
        }
        assertThat(refused).isEqualTo(11 * 10 - 47 + 6);
    }

    @Test
    void anAllowedTransitionIsWrittenWithItsHistoryAndSequence() {
        Session stored = storedIn(SessionStatus.PENDING);
        Session next = stored.transitionTo(SessionStatus.SCHEDULED, "scheduled", new StatusData(JsonObject.of("agent", "i-1")), Instant.now());
        assertThat(store.apply(SessionChange.update(next, SessionStatus.PENDING, 1))).isInstanceOf(SaveOutcome.Saved.class);
        Session after = store.find(stored.id()).orElseThrow();
        assertThat(after.status()).isEqualTo(SessionStatus.SCHEDULED);
        assertThat(after.statusInfo()).isEqualTo("scheduled");
        assertThat(after.statusData().fields()).containsEntry("agent", JsonValue.of("i-1"));
        assertThat(after.statusHistory()).extracting(StatusChange::status).containsExactly(SessionStatus.PENDING, SessionStatus.SCHEDULED);
        assertThat(after.sequence()).isEqualTo(2);
        assertThat(store.pendingIn("store-it")).extracting(Session::id).doesNotContain(stored.id());
    }

    @Test
    void aStaleWriterGetsAConflictNotAnOverwrite() {
        Session stored = storedIn(SessionStatus.RUNNING);
        Instant now = Instant.now();
        assertThat(store.apply(SessionChange.update(stored.transitionTo(SessionStatus.TERMINATING, "user-requested", StatusData.NONE, now), SessionStatus.RUNNING, 1)))
                .isInstanceOf(SaveOutcome.Saved.class);
        SaveOutcome stale = store.apply(SessionChange.update(stored.transitionTo(SessionStatus.ERROR, "agent-lost", StatusData.NONE, now), SessionStatus.RUNNING, 1));
        assertThat(stale).isInstanceOf(SaveOutcome.Conflict.class);
        assertThat(((SaveOutcome.Conflict) stale).current()).get().extracting(Session::status).isEqualTo(SessionStatus.TERMINATING);
    }

    @Test
    void racingTransitionsFromTheSameReadHaveExactlyOneWinner() throws Exception {
        Session stored = storedIn(SessionStatus.PENDING);
        List<SessionStatus> targets = List.of(SessionStatus.SCHEDULED, SessionStatus.CANCELLED, SessionStatus.ERROR,
                SessionStatus.TERMINATED, SessionStatus.TERMINATING, SessionStatus.SCHEDULED, SessionStatus.CANCELLED, SessionStatus.ERROR);
        CyclicBarrier start = new CyclicBarrier(targets.size());
        ExecutorService pool = Executors.newFixedThreadPool(targets.size());
        List<Future<SaveOutcome>> results = new ArrayList<>();
        for (SessionStatus to : targets) {
            results.add(pool.submit(() -> {
                Session next = stored.transitionTo(to, "race", StatusData.NONE, Instant.now());
                start.await();
                return store.apply(SessionChange.update(next, SessionStatus.PENDING, stored.sequence()));
            }));
        }
        long saved = 0;
        for (Future<SaveOutcome> f : results) {
            if (f.get() instanceof SaveOutcome.Saved) {
                saved++;
            }
        }
        pool.shutdown();
        assertThat(saved).isEqualTo(1);
        Session after = store.find(stored.id()).orElseThrow();
        assertThat(after.sequence()).isEqualTo(2);
        assertThat(after.statusHistory()).hasSize(2);
    }

    @Test
    void racingServiceCallsForTheSameChangeApplyItOnce() throws Exception {
        Principal owner = user();
        SessionService sessions = plane.sessions();
        Session created = sessions.create(owner, RequestFields.of(Map.of("image", "python:3.12", "resource_group", "store-it",
                "resource_slots", Map.of("cpu", 1, "mem", "1g"))), Optional.empty()).session();
        int racers = 6;
        CyclicBarrier start = new CyclicBarrier(racers);
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        List<Future<TransitionOutcome>> results = new ArrayList<>();
        for (int i = 0; i < racers; i++) {
            results.add(pool.submit(() -> {
                start.await();
                return sessions.transition(created.id(), SessionStatus.CANCELLED, "user-requested", StatusData.NONE);
            }));
        }
        int applied = 0;
        for (Future<TransitionOutcome> f : results) {
            TransitionOutcome o = f.get();
            if (o instanceof TransitionOutcome.Applied) {
                applied++;
            } else {
                assertThat(o).isInstanceOfAny(TransitionOutcome.Conflict.class, TransitionOutcome.Refused.class);
            }
        }
        pool.shutdown();
        assertThat(applied).isEqualTo(1);
        assertThat(store.find(created.id()).orElseThrow().statusHistory()).hasSize(2);
    }

    @Test
    void aRetriedCreateWithTheSameKeyReturnsTheFirstSession() throws Exception {
        Principal owner = user();
        Map<String, Object> body = Map.of("image", "python:3.12", "resource_group", "store-it", "resource_slots", Map.of("cpu", 1, "mem", "1g"));
        IdempotencyKey key = new IdempotencyKey("retry-" + UUID.randomUUID(), "fingerprint-a");
        int racers = 5;
        CyclicBarrier start = new CyclicBarrier(racers);
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        List<Future<SessionService.Created>> results = new ArrayList<>();
        for (int i = 0; i < racers; i++) {
            results.add(pool.submit(() -> {
                start.await();
                return plane.sessions().create(owner, RequestFields.of(body), Optional.of(key));
            }));
        }
        Set<String> ids = new java.util.HashSet<>();
        int fresh = 0;
        for (Future<SessionService.Created> f : results) {
            ids.add(f.get().session().id());
            fresh += f.get().replayed() ? 0 : 1;
        }
        pool.shutdown();
        assertThat(ids).hasSize(1);
        assertThat(fresh).isEqualTo(1);
    }

    @Test
    void aKeyReusedForADifferentRequestIsRefused() {
        Principal owner = user();
        IdempotencyKey first = new IdempotencyKey("k-" + UUID.randomUUID(), "fingerprint-a");
        plane.sessions().create(owner, RequestFields.of(Map.of("image", "python:3.12", "resource_group", "store-it",
                "resource_slots", Map.of("cpu", 1, "mem", "1g"))), Optional.of(first));
        IdempotencyKey reused = new IdempotencyKey(first.key(), "fingerprint-b");
        assertThatThrownBy(() -> plane.sessions().create(owner, RequestFields.of(Map.of("image", "python:3.13", "resource_group", "store-it",
                "resource_slots", Map.of("cpu", 1, "mem", "1g"))), Optional.of(reused)))
                .isInstanceOf(DomainException.class)
                .satisfies(e -> assertThat(((DomainException) e).code()).isEqualTo(ErrorCode.IDEMPOTENCY_MISMATCH));
    }

    @Test
    void thePendingQueueIsInPriorityThenAgeOrder() {
        String group = "queue-" + UUID.randomUUID().toString().substring(0, 8);
        plane.groupStore().put(dev.sluice.core.group.ResourceGroup.fromDefinition(group, RequestFields.of(Map.of()), Instant.now(), Instant.now()));
        Principal owner = user();
        List<String> ids = new ArrayList<>();
        for (int priority : new int[] {10, 50, 10, 90}) {
            ids.add(plane.sessions().create(owner, RequestFields.of(Map.of("image", "python:3.12", "resource_group", group, "priority", priority,
                    "resource_slots", Map.of("cpu", 1, "mem", "1g"))), Optional.empty()).session().id());
        }
        assertThat(store.pendingIn(group)).extracting(Session::id).containsExactly(ids.get(3), ids.get(1), ids.get(0), ids.get(2));
    }

    @Test
    void anOwnersOpenSessionsAreReadFromASparseIndexThatHisEndedOnesLeave() throws Exception {
        String owner = "owner-" + UUID.randomUUID();
        Instant now = Instant.now();
        SessionSpec spec = SessionSpec.parse(RequestFields.of(Map.of("image", "python:3.12", "resource_slots", Map.of("cpu", 1, "mem", "1g"))), now);
        Map<SessionStatus, Integer> counts = Map.of(SessionStatus.RUNNING, 3, SessionStatus.ERROR, 1, SessionStatus.PENDING, 1,
                SessionStatus.TERMINATED, 4, SessionStatus.CANCELLED, 2);
        List<Session> running = new ArrayList<>();
        counts.forEach((status, n) -> {
            for (int i = 0; i < n; i++) {
                Session s = new Session(UUID.randomUUID().toString(), owner, spec, "store-it", status, "test", StatusData.NONE,
                        List.of(new StatusChange(status, now)), List.of(), SessionResult.UNDEFINED,
                        now, Optional.empty(), Optional.empty(), 1);
                assertThat(store.create(s, Optional.empty())).isInstanceOf(SessionStore.CreateOutcome.Created.class);
                if (status == SessionStatus.RUNNING) {
                    running.add(s);
                }
            }
        });
        Session ending = running.get(0);
        assertThat(store.apply(SessionChange.update(withStatus(ending, SessionStatus.TERMINATED), SessionStatus.RUNNING, ending.sequence())))
                .isInstanceOf(SessionStore.SaveOutcome.Saved.class);

        List<String> indexed;
        String table = LocalStack.get().functionEnvironment().get("SESSIONS_TABLE");
        try (DynamoDbClient ddb = DynamoDbClient.builder().build()) {
            // The index projects keys only: each session is read from the table.
            indexed = ddb.query(b -> b.tableName(table).indexName("open-by-owner-keys")
                    .keyConditionExpression("openOwner = :o")
                    .expressionAttributeValues(Map.of(":o", AttributeValue.fromS(owner))))
                    .items().stream().map(item -> store.find(item.get("id").s()).orElseThrow().status().name()).sorted().toList();
        }
        assertThat(indexed).as("only what is not TERMINATED or CANCELLED; a session leaves when it ends")
                .containsExactly("ERROR", "PENDING", "RUNNING", "RUNNING");
        assertThat(store.usageOf(owner).activeSessions()).as("RUNNING and ERROR occupy; PENDING does not").isEqualTo(3);

        SessionQuery runningOnly = new SessionQuery(Optional.of(owner), Set.of(SessionStatus.RUNNING), Optional.empty(), Optional.empty(),
                false, 1, Optional.empty());
        var first = store.list(runningOnly, Instant.EPOCH);
        assertThat(first.items()).hasSize(1);
        var second = store.list(new SessionQuery(Optional.of(owner), Set.of(SessionStatus.RUNNING), Optional.empty(), Optional.empty(),
                false, 1, first.nextCursor()), Instant.EPOCH);
        assertThat(second.items()).hasSize(1).doesNotContainAnyElementsOf(first.items());
        assertThat(store.list(new SessionQuery(Optional.of(owner), Set.of(SessionStatus.TERMINATED), Optional.empty(), Optional.empty(),
                false, 50, Optional.empty()), Instant.EPOCH).items()).as("ended ones are listed from the owner index").hasSize(5);
        assertThatThrownBy(() -> store.list(new SessionQuery(Optional.of(owner), Set.of(SessionStatus.TERMINATED), Optional.empty(),
                Optional.empty(), false, 1, first.nextCursor()), Instant.EPOCH)).as("a cursor of the other index")
                .isInstanceOf(dev.sluice.core.port.Page.UnknownCursor.class).hasMessage("cursor belongs to another listing.");
    }
}
