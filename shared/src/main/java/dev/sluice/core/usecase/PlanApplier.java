package dev.sluice.core.usecase;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.port.AgentStore;
import dev.sluice.core.port.SessionStore;
import dev.sluice.core.port.SessionStore.BatchOutcome;
import dev.sluice.core.port.SessionStore.SaveOutcome;
import dev.sluice.core.scheduler.SchedulingPlan;
import dev.sluice.core.session.Kernel;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionBatch;
import dev.sluice.core.session.SessionChange;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.session.StatusData;
import dev.sluice.core.slots.ResourceSlots;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Applies the placements of a plan (the plan applier of Nomad's design): placements whose agents are disjoint are
 * applied concurrently, at most {@code concurrency} at a time; placements that share an agent are applied one after
 * the other, in plan order, so they never race each other for the same agent item. Each placement is one
 * {@link SessionStore#apply} of a {@link SessionChange#place}: conditional on the session being still PENDING at the
 * sequence the plan read and on every agent being ALIVE, schedulable and having the slots free. A placement that
 * loses to another writer is retried once from fresh state (the session and its agents read again, the placement
 * checked against them), and otherwise left for the next pass.
 *
 * <p>When the store writes batches ({@link SessionStore#appliesBatches}), a lane's placements go in batches, in plan
 * order, each batch one {@link SessionStore#applyAll} of a {@link SessionBatch} cut to fit one transaction (100 items,
 * 4 MB, an agent shared by the batch counted once): one round trip for up to dozens of placements on an agent, whose
 * one reservation there is conditional on the sum of their slots. A batch refused as a whole (a session cancelled
 * meanwhile, an agent lost or its capacity changed) wrote nothing; its placements are then applied one by one as above,
 * so what is placed, retried and left is exactly what it would have been without the batch.
 */
public final class PlanApplier {
    /** Placements applied at once when nothing says otherwise. */
    public static final int DEFAULT_CONCURRENCY = 8;
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final SessionStore sessions;
    private final AgentStore agents;
    private final Clock clock;
    private final int concurrency;
    private final boolean batches;
    private final AtomicInteger batchesRefused = new AtomicInteger();
    private volatile ExecutorService pool;

    /** An applier that writes a lane's placements in batches when the store can ({@link SessionStore#appliesBatches}). */
    public PlanApplier(SessionStore sessions, AgentStore agents, Clock clock, int concurrency) {
        this(sessions, agents, clock, concurrency, true);
    }

    /** With {@code batches} false, every placement is its own write (as before batches: a benchmark's baseline). */
    public PlanApplier(SessionStore sessions, AgentStore agents, Clock clock, int concurrency, boolean batches) {
        this.batches = batches && sessions.appliesBatches();
        if (concurrency < 1) {
            throw new IllegalArgumentException("the applier's concurrency must be at least 1, not " + concurrency);
        }
        this.sessions = sessions;
        this.agents = agents;
        this.clock = clock;
        this.concurrency = concurrency;
    }

    public int concurrency() {
        return concurrency;
    }

    /** A placement that was written: the session as stored (SCHEDULED), when, and whether it took the retry. */
    public record Placed(Session session, Instant at, boolean retried) {
    }

    /** What the applier did: the placements written, and the sessions left for the next pass (lost twice, or gone). */
    public record Report(List<Placed> placed, List<Session> conflicted, int retried) {
    }

    /**
     * Applies the placements; {@code onPlaced} hears of each one as soon as it is written (from the applier's
     * threads: it must be thread-safe). Returns when every placement was written or given up.
     */
    public Report apply(List<SchedulingPlan.Placement> placements, Consumer<Placed> onPlaced) {
        ConcurrentLinkedQueue<Placed> placed = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Session> conflicted = new ConcurrentLinkedQueue<>();
        List<List<SchedulingPlan.Placement>> lanes = lanes(placements);
        if (concurrency == 1 || lanes.size() <= 1) {
            for (List<SchedulingPlan.Placement> lane : lanes) {
                runLane(lane, placed, conflicted, onPlaced);
            }
        } else {
            List<Callable<Void>> tasks = new ArrayList<>();
            for (List<SchedulingPlan.Placement> lane : lanes) {
                tasks.add(() -> {
                    runLane(lane, placed, conflicted, onPlaced);
                    return null;
                });
            }
            try {
                await(pool().invokeAll(tasks));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the plan was applied", e);
            }
        }
        List<Placed> done = List.copyOf(placed);
        int retried = (int) done.stream().filter(Placed::retried).count();
        return new Report(done, List.copyOf(conflicted), retried);
    }

    private void runLane(List<SchedulingPlan.Placement> lane, ConcurrentLinkedQueue<Placed> placed,
                         ConcurrentLinkedQueue<Session> conflicted, Consumer<Placed> onPlaced) {
        if (!batches || lane.size() == 1) {
            runOneByOne(lane, placed, conflicted, onPlaced);
            return;
        }
        // The lane in plan order, cut into batches that each fit one transaction.
        Instant at = clock.instant();
        Map<SessionChange, SchedulingPlan.Placement> of = new java.util.IdentityHashMap<>();
        List<SessionChange> changes = new ArrayList<>();
        for (SchedulingPlan.Placement p : lane) {
            SessionChange c = change(p.session(), kernels(p), at);
            of.put(c, p);
            changes.add(c);
        }
        for (List<SessionChange> chunk : SessionBatch.chunks(changes, SessionChange.MAX_TRANSACTION_ITEMS,
                SessionBatch.MAX_TRANSACTION_BYTES, sessions::writeBytes)) {
            List<SchedulingPlan.Placement> ps = chunk.stream().map(of::get).toList();
            if (chunk.size() == 1) {
                runOneByOne(ps, placed, conflicted, onPlaced);
                continue;
            }
            // Each chunk at the time of its own write, as a placement at the time of its own.
            Instant now = clock.instant();
            List<SessionChange> timed = ps.stream().map(p -> change(p.session(), kernels(p), now)).toList();
            if (sessions.applyAll(new SessionBatch(timed)) instanceof BatchOutcome.Saved saved) {
                for (Session s : saved.sessions()) {
                    Placed done = new Placed(s, now, false);
                    placed.add(done);
                    onPlaced.accept(done);
                }
            } else {
                // Something of the batch no longer held (a session moved on, an agent lost or refilled): nothing was
                // written, so each placement goes on its own, with its one retry from fresh state, as without batches.
                batchesRefused.incrementAndGet();
                runOneByOne(ps, placed, conflicted, onPlaced);
            }
        }
    }

    /** Batches whose transaction was refused (and whose placements were then applied one by one), since this applier was made. */
    public int batchesRefused() {
        return batchesRefused.get();
    }

    private void runOneByOne(List<SchedulingPlan.Placement> lane, ConcurrentLinkedQueue<Placed> placed,
                             ConcurrentLinkedQueue<Session> conflicted, Consumer<Placed> onPlaced) {
        for (SchedulingPlan.Placement p : lane) {
            Optional<Placed> done = applyOne(p);
            if (done.isPresent()) {
                placed.add(done.get());
                onPlaced.accept(done.get());
            } else {
                conflicted.add(p.session());
            }
        }
    }

    private static List<Kernel> kernels(SchedulingPlan.Placement p) {
        return p.kernels().stream().map(k -> new Kernel(k.agentId(), k.slots())).toList();
    }

    /** One placement, and its one retry from fresh state when it lost to another writer. */
    Optional<Placed> applyOne(SchedulingPlan.Placement p) {
        List<Kernel> kernels = kernels(p);
        // The time of the placement's own write, not of the snapshot the pass planned from (seconds earlier in a
        // long pass): the history says when the session was scheduled.
        Instant at = clock.instant();
        SaveOutcome outcome = sessions.apply(change(p.session(), kernels, at));
        if (outcome instanceof SaveOutcome.Saved saved) {
            return Optional.of(new Placed(saved.session(), at, false));
        }
        Optional<Session> fresh = ((SaveOutcome.Conflict) outcome).current();
        if (fresh.isEmpty() || fresh.get().status() != SessionStatus.PENDING || !stillFits(kernels)) {
            return Optional.empty();
        }
        Instant again = clock.instant();
        if (sessions.apply(change(fresh.get(), kernels, again)) instanceof SaveOutcome.Saved saved) {
            return Optional.of(new Placed(saved.session(), again, true));
        }
        return Optional.empty();
    }

    private static SessionChange change(Session pending, List<Kernel> kernels, Instant at) {
        return SessionChange.place(pending, kernels, "scheduled", StatusData.placed(kernels.stream().map(Kernel::agentId).toList()), at);
    }

    /** Whether every agent of the placement, read now, can still host what the placement asks of it. */
    private boolean stillFits(List<Kernel> kernels) {
        Map<String, ResourceSlots> asked = new LinkedHashMap<>();
        for (Kernel k : kernels) {
            asked.merge(k.agentId(), k.slots(), ResourceSlots::add);
        }
        for (Map.Entry<String, ResourceSlots> e : asked.entrySet()) {
            Optional<Agent> agent = agents.find(e.getKey());
            if (agent.isEmpty() || !agent.get().canHost(e.getValue())) {
                return false;
            }
        }
        return true;
    }

    /**
     * The placements split into lanes that share no agent, each in plan order: placements connected through a common
     * agent (directly, or through a multi-node placement spanning several) fall into the same lane.
     */
    static List<List<SchedulingPlan.Placement>> lanes(List<SchedulingPlan.Placement> placements) {
        int[] parent = new int[placements.size()];
        Map<String, Integer> firstOnAgent = new HashMap<>();
        for (int i = 0; i < placements.size(); i++) {
            parent[i] = i;
            for (SchedulingPlan.Kernel k : placements.get(i).kernels()) {
                Integer other = firstOnAgent.putIfAbsent(k.agentId(), i);
                if (other != null) {
                    union(parent, i, other);
                }
            }
        }
        Map<Integer, List<SchedulingPlan.Placement>> byRoot = new LinkedHashMap<>();
        for (int i = 0; i < placements.size(); i++) {
            byRoot.computeIfAbsent(find(parent, i), r -> new ArrayList<>()).add(placements.get(i));
        }
        return new ArrayList<>(byRoot.values());
    }

    private static int find(int[] parent, int i) {
        while (parent[i] != i) {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }

    private static void union(int[] parent, int a, int b) {
        int ra = find(parent, a);
        int rb = find(parent, b);
        if (ra != rb) {
            parent[Math.max(ra, rb)] = Math.min(ra, rb);
        }
    }

    private ExecutorService pool() {
        ExecutorService p = pool;
        if (p == null) {
            synchronized (this) {
                if (pool == null) {
                    // Daemon threads: an idle applier never keeps a JVM (a function's, a benchmark's) from exiting.
                    pool = Executors.newFixedThreadPool(concurrency, r -> {
                        Thread t = new Thread(r, "plan-applier-" + THREADS.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    });
                }
                p = pool;
            }
        }
        return p;
    }

    private static void await(List<Future<Void>> futures) {
        for (Future<Void> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                if (e.getCause() instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the plan was applied", e);
            }
        }
    }
}
