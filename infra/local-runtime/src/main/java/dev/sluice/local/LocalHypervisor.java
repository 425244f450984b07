package dev.sluice.local;

import dev.sluice.adapters.json.Json;
import dev.sluice.core.fleet.FleetCatalog;
import dev.sluice.core.fleet.InstanceType;
import dev.sluice.core.slots.ResourceSlots;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.Reservation;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResultEntry;

/**
 * The local runtime playing the hypervisor for the emulator's EC2 (issue 17): nothing boots in the emulator, so for
 * each instance it reports running with the tag {@code sluice:resource-group} this starts an agent process, once the
 * boot delay has passed since the instance's launch, with the instance id as the agent id, the group from the tag and
 * the slots the group's instance catalog declares for the instance type; and stops that process (its workloads first)
 * when the instance terminates or disappears. Each hosted agent gets an instance metadata service of its own
 * ({@link ImdsStub}). It polls {@code DescribeInstances} over the wire every {@code poll} (1 s by default).
 *
 * <p>A spot interruption is injected with {@link #interrupt}: the instance's IMDS says {@code terminate} at the
 * deadline, the {@code EC2 Spot Instance Interruption Warning} event goes on the default bus, and at the deadline the
 * instance is terminated in the emulator (which stops its agent). {@code sluice-local interrupt} asks the hypervisor of
 * a running {@code up} for it through a request file in its control directory ({@link #requestInterrupt}).
 */
public final class LocalHypervisor implements AutoCloseable {
    public static final String GROUP_TAG = "sluice:resource-group";
    public static final String INTERRUPTION_DETAIL_TYPE = "EC2 Spot Instance Interruption Warning";
    public static final String AWS_SOURCE = "aws.ec2";
    /**
     * The source the warning is put with when the bus refuses {@code aws.ec2} (EventBridge refuses {@code aws.*}
     * sources from PutEvents, and so does the emulator): the same detail type and detail, a source of our own.
     */
    public static final String LOCAL_SOURCE = "sluice.local.ec2";
    public static final Duration DEFAULT_BOOT_DELAY = Duration.ofSeconds(5);
    public static final Duration DEFAULT_INTERRUPTION_NOTICE = Duration.ofMinutes(2);
    public static final Duration MAX_INTERRUPTION_NOTICE = Duration.ofHours(1);
    static final Pattern INSTANCE_ID = Pattern.compile("i-[0-9a-f]{8}([0-9a-f]{9})?");

    /** Starts an agent process for an instance. */
    public interface AgentLauncher {
        Hosted start(String agentId, String group, String slots, Map<String, String> extraEnv) throws IOException;
    }

    /** An agent process started for an instance. */
    public interface Hosted {
        ProcessHandle handle();

        /** Stops it (and what it started), waiting for it to end. */
        void stop();
    }

    /** An instance as DescribeInstances reports it. */
    public record Observed(String instanceId, String group, String instanceType, String state, String zone, Instant launchTime) {
        boolean running() {
            return state.equals("running");
        }
    }

    /** What a poll does: the instances whose agents start now, and the agents whose instances are gone. */
    record Plan(List<Observed> start, List<String> stop) {
    }

    /** An agent hosted here, as tests and `up` see it. */
    public record HostedAgent(String instanceId, String group, String instanceType, String slots, long pid, String imdsUrl) {
    }

    /** What an interruption did: the deadline, and the event put on the bus (its id and the source it was accepted with). */
    public record Interruption(String instanceId, Instant deadline, String eventId, String eventSource) {
    }

    private record Host(HostedAgent view, Hosted process, ImdsStub imds) {
    }

    private final Ec2Client ec2;
    private final EventBridgeClient events;
    private final Function<String, Optional<FleetCatalog>> catalogs;
    private final AgentLauncher launcher;
    private final Duration bootDelay;
    private final Duration pollInterval;
    private final Optional<Path> controlDir;
    private final Set<String> groups;
    private final Clock clock;
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "local-hypervisor");
        t.setDaemon(true);
        return t;
    });
    private final ExecutorService stoppers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "local-hypervisor-stop");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Host> hosted = new ConcurrentHashMap<>();
    private final Map<String, Instant> interruptions = new ConcurrentHashMap<>();
    private final Map<String, String> warned = new HashMap<>();
    private final Map<String, String> subnetZones = new HashMap<>();
    private volatile String account = "000000000000";
    private volatile boolean closed;

    /**
     * @param catalogs the instance catalog of a group (as the control plane's group store has it)
     * @param controlDir where {@code sluice-local interrupt} leaves its requests, when there is one
     * @param groups the groups whose instances are hosted here; empty: every group
     */
    public LocalHypervisor(Ec2Client ec2, EventBridgeClient events, Function<String, Optional<FleetCatalog>> catalogs,
            AgentLauncher launcher, Duration bootDelay, Duration pollInterval, Optional<Path> controlDir, Set<String> groups,
            Clock clock) {
        this.ec2 = ec2;
        this.events = events;
        this.catalogs = catalogs;
        this.launcher = launcher;
        this.bootDelay = bootDelay;
        this.pollInterval = pollInterval;
        this.controlDir = controlDir;
        this.groups = Set.copyOf(groups);
        this.clock = clock;
    }

    /** Starts polling; the control directory is made (mode 0700) first. */
    public LocalHypervisor start() throws IOException {
        if (controlDir.isPresent()) {
            Files.createDirectories(controlDir.get());
            Files.setPosixFilePermissions(controlDir.get(), PosixFilePermissions.fromString("rwx------"));
        }
        loop.scheduleWithFixedDelay(this::poll, 0, pollInterval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    public Duration bootDelay() {
        return bootDelay;
    }

    /** The agents hosted now, by instance id. */
    public Map<String, HostedAgent> hosted() {
        Map<String, HostedAgent> out = new LinkedHashMap<>();
        hosted.forEach((id, h) -> out.put(id, h.view()));
        return out;
    }

    // ---------------------------------------------------------------------------------------------------- the poll

    /**
     * Which agents start and stop (pure): an instance running, not hosted yet, whose boot delay since its launch has
     * passed gets its agent; a hosted agent whose instance is not running any more (terminated, stopping, stopped,
     * shutting down, or gone from the listing) is stopped.
     */
    static Plan plan(Collection<Observed> observed, Set<String> hostedIds, Instant now, Duration bootDelay) {
        List<Observed> start = new ArrayList<>();
        Set<String> running = new java.util.HashSet<>();
        for (Observed o : observed) {
            if (!o.running()) {
                continue;
            }
            running.add(o.instanceId());
            if (!hostedIds.contains(o.instanceId()) && !o.launchTime().plus(bootDelay).isAfter(now)) {
                start.add(o);
            }
        }
        List<String> stop = hostedIds.stream().filter(id -> !running.contains(id)).sorted().toList();
        return new Plan(start, stop);
    }

    /**
     * The slots an agent on {@code type} declares, as the agent reads them ({@code cuda.device=1,cpu=4,mem=16g}); empty
     * when the group has no catalog or the catalog does not list the type.
     */
    static Optional<String> slotsOf(Optional<FleetCatalog> catalog, String type) {
        return catalog.flatMap(c -> c.type(type)).map(InstanceType::slots).map(LocalHypervisor::slotsText);
    }

    static String slotsText(ResourceSlots slots) {
        return String.join(",", slots.describe().split(" "));
    }

    private void poll() {
        if (closed) {
            return;
        }
        try {
            answerRequests();
        } catch (RuntimeException e) {
            log("WARN", "the interrupt requests were not read: " + e);
        }
        List<Observed> observed;
        try {
            observed = describe();
        } catch (RuntimeException e) {
            // The emulator did not answer: nothing is stopped on a failed look.
            log("WARN", "DescribeInstances failed: " + e.getMessage());
            return;
        }
        Plan plan = plan(observed, Set.copyOf(hosted.keySet()), clock.instant(), bootDelay);
        plan.stop().forEach(id -> stopAgent(id, "instance " + id + " is gone"));
        for (Observed o : plan.start()) {
            if (closed) {
                return;
            }
            host(o);
        }
    }

    private List<Observed> describe() {
        List<Filter> filters = new ArrayList<>();
        filters.add(Filter.builder().name("tag-key").values(GROUP_TAG).build());
        if (!groups.isEmpty()) {
            filters.add(Filter.builder().name("tag:" + GROUP_TAG).values(groups).build());
        }
        List<Observed> out = new ArrayList<>();
        for (Reservation r : ec2.describeInstancesPaginator(b -> b.filters(filters)).reservations()) {
            if (r.ownerId() != null && !r.ownerId().isBlank()) {
                account = r.ownerId();
            }
            for (Instance i : r.instances()) {
                observed(i).ifPresent(out::add);
            }
        }
        return out;
    }

    private Optional<Observed> observed(Instance i) {
        Optional<String> group = i.tags().stream().filter(t -> t.key().equals(GROUP_TAG)).map(Tag::value).findFirst();
        if (group.isEmpty() || (!groups.isEmpty() && !groups.contains(group.get()))) {
            return Optional.empty();
        }
        String state = i.state() == null || i.state().name() == null ? "unknown" : i.state().nameAsString();
        Instant launched = i.launchTime() == null ? clock.instant() : i.launchTime();
        return Optional.of(new Observed(i.instanceId(), group.get(), i.instanceTypeAsString(), state, zoneOf(i), launched));
    }

    /** The instance's zone: its subnet's (the emulator places every instance in zone a whatever its subnet). */
    private String zoneOf(Instance i) {
        String subnet = i.subnetId();
        if (subnet != null && !subnetZones.containsKey(subnet)) {
            try {
                ec2.describeSubnets(b -> b.subnetIds(subnet)).subnets().forEach(s -> subnetZones.put(s.subnetId(), s.availabilityZone()));
            } catch (Ec2Exception e) {
                subnetZones.put(subnet, null);
            }
        }
        String zone = subnet == null ? null : subnetZones.get(subnet);
        if (zone == null && i.placement() != null) {
            zone = i.placement().availabilityZone();
        }
        return zone == null ? "" : zone;
    }

    private void host(Observed o) {
        Optional<String> slots;
        try {
            slots = slotsOf(catalogs.apply(o.group()), o.instanceType());
        } catch (RuntimeException e) {
            warnOnce(o.instanceId(), "the catalog of group " + o.group() + " could not be read: " + e.getMessage());
            return;
        }
        if (slots.isEmpty()) {
            warnOnce(o.instanceId(), "instance " + o.instanceId() + " (" + o.instanceType() + ") is not hosted: group " + o.group()
                    + " has no instance catalog listing " + o.instanceType() + ", so its slots are unknown");
            return;
        }
        ImdsStub imds = null;
        try {
            imds = ImdsStub.start(o.instanceId(), o.instanceType(), o.zone(), clock);
            Instant deadline = interruptions.get(o.instanceId());
            if (deadline != null) {
                imds.interrupt(deadline);
            }
            Hosted process = launcher.start(o.instanceId(), o.group(), slots.get(), Map.of("SLUICE_AGENT_IMDS_ENDPOINT", imds.url()));
            HostedAgent view = new HostedAgent(o.instanceId(), o.group(), o.instanceType(), slots.get(), process.handle().pid(), imds.url());
            hosted.put(o.instanceId(), new Host(view, process, imds));
            warned.remove(o.instanceId());
            log("INFO", "instance " + o.instanceId() + " (" + o.instanceType() + ", group " + o.group() + ") booted: its agent runs as pid "
                    + view.pid() + " with slots " + slots.get() + ", IMDS at " + imds.url());
        } catch (IOException | RuntimeException e) {
            if (imds != null) {
                imds.close();
            }
            warnOnce(o.instanceId(), "the agent of instance " + o.instanceId() + " did not start: " + e.getMessage());
        }
    }

    private void stopAgent(String instanceId, String why) {
        Host h = hosted.remove(instanceId);
        if (h == null) {
            return;
        }
        interruptions.remove(instanceId);
        stoppers.submit(() -> {
            h.imds().close();
            h.process().stop();
            log("INFO", why + ": its agent (pid " + h.view().pid() + ") stopped");
        });
    }

    private void warnOnce(String instanceId, String message) {
        if (!message.equals(warned.put(instanceId, message))) {
            log("WARN", message);
        }
    }

    // --------------------------------------------------------------------------------------------- interruptions

    /**
     * Interrupts an instance as EC2 reclaims a spot instance: its IMDS {@code spot/instance-action} says
     * {@code terminate} at now + {@code notice}, the {@code EC2 Spot Instance Interruption Warning} goes on the
     * default bus, and the instance is terminated in the emulator at the deadline. Refused (IllegalArgumentException,
     * a sentence) for an instance that is not a running instance of a hosted group.
     */
    public Interruption interrupt(String instanceId, Duration notice) throws InterruptedException {
        try {
            return loop.submit(() -> interruptNow(instanceId, notice)).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the hypervisor did not answer within 30 s");
        }
    }

    private Interruption interruptNow(String instanceId, Duration notice) {
        checkNotice(notice);
        if (!INSTANCE_ID.matcher(instanceId).matches()) {
            throw new IllegalArgumentException("The instance must be an EC2 instance id such as i-0123456789abcdef0, not '" + instanceId + "'.");
        }
        Instance instance;
        try {
            instance = ec2.describeInstances(b -> b.instanceIds(instanceId)).reservations().stream()
                    .flatMap(r -> r.instances().stream()).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("There is no instance " + instanceId + " in the emulator."));
        } catch (Ec2Exception e) {
            throw new IllegalArgumentException("There is no instance " + instanceId + " in the emulator (" + e.awsErrorDetails().errorCode() + ").");
        }
        Observed o = observed(instance).orElseThrow(() -> new IllegalArgumentException("Instance " + instanceId
                + " is not a fleet instance hosted here: it has no " + GROUP_TAG + " tag" + (groups.isEmpty() ? "" : " of " + groups) + "."));
        if (!o.running()) {
            throw new IllegalArgumentException("Instance " + instanceId + " is " + o.state() + ", not running: there is nothing to interrupt.");
        }
        Instant deadline = clock.instant().plus(notice).truncatedTo(ChronoUnit.SECONDS);
        interruptions.put(instanceId, deadline);
        Host h = hosted.get(instanceId);
        if (h != null) {
            h.imds().interrupt(deadline);
        }
        String region = ec2.serviceClientConfiguration().region().id();
        PutEventsResultEntry put = putWarning(AWS_SOURCE, instanceId, region);
        String source = AWS_SOURCE;
        if (put.errorCode() != null && put.errorCode().equals("NotAuthorizedForSourceException")) {
            put = putWarning(LOCAL_SOURCE, instanceId, region);
            source = LOCAL_SOURCE;
        }
        if (put.errorCode() != null) {
            log("WARN", "the interruption warning of " + instanceId + " was not put on the bus: " + put.errorCode() + " " + put.errorMessage());
        }
        long delay = Math.max(0, Duration.between(clock.instant(), deadline).toMillis());
        loop.schedule(() -> terminate(instanceId), delay, TimeUnit.MILLISECONDS);
        log("INFO", "instance " + instanceId + " interrupted: terminated at " + deadline + " (warning put with source " + source + ")");
        return new Interruption(instanceId, deadline, put.eventId(), put.errorCode() == null ? source : null);
    }

    static void checkNotice(Duration notice) {
        if (notice.isNegative() || notice.compareTo(MAX_INTERRUPTION_NOTICE) > 0) {
            throw new IllegalArgumentException("The notice (--in) must be from 0 to " + MAX_INTERRUPTION_NOTICE.toSeconds()
                    + " seconds, not " + notice.toSeconds() + ".");
        }
    }

    private PutEventsResultEntry putWarning(String source, String instanceId, String region) {
        return events.putEvents(b -> b.entries(interruptionWarning(source, instanceId, region, account))).entries().get(0);
    }

    /** The warning as EC2 puts it on the default bus (its detail, its resource: the instance's ARN). */
    static PutEventsRequestEntry interruptionWarning(String source, String instanceId, String region, String account) {
        return PutEventsRequestEntry.builder().eventBusName("default").source(source).detailType(INTERRUPTION_DETAIL_TYPE)
                .resources("arn:aws:ec2:" + region + ":" + account + ":instance/" + instanceId)
                .detail(Json.write(Map.of("instance-id", instanceId, "instance-action", "terminate")))
                .build();
    }

    private void terminate(String instanceId) {
        try {
            ec2.terminateInstances(b -> b.instanceIds(instanceId));
            log("INFO", "instance " + instanceId + " terminated at its interruption deadline");
        } catch (RuntimeException e) {
            log("WARN", "instance " + instanceId + " could not be terminated at its deadline: " + e.getMessage());
        }
    }

    // ------------------------------------------------------------------------------------ the control directory

    /** Answers each request {@code sluice-local interrupt} left ({@code <id>.request}) with {@code <id>.answer}. */
    private void answerRequests() {
        if (controlDir.isEmpty()) {
            return;
        }
        List<Path> requests;
        try (Stream<Path> files = Files.list(controlDir.get())) {
            requests = files.filter(p -> p.getFileName().toString().endsWith(".request")).toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        for (Path request : requests) {
            String name = request.getFileName().toString();
            String id = name.substring(0, name.length() - ".request".length());
            Map<String, Object> answer = new LinkedHashMap<>();
            try {
                Map<String, Object> body = Json.readObject(Files.readString(request));
                Files.deleteIfExists(request);
                Duration notice = Duration.ofSeconds(((Number) body.getOrDefault("in_seconds", 120)).longValue());
                Interruption i = interruptNow(id, notice);
                answer.put("instance_id", i.instanceId());
                answer.put("deadline", i.deadline().toString());
                answer.put("event_id", i.eventId());
                answer.put("event_source", i.eventSource());
            } catch (IllegalArgumentException e) {
                answer.put("error", e.getMessage());
            } catch (IOException | RuntimeException e) {
                answer.put("error", "The request could not be carried out: " + e);
            }
            try {
                Files.deleteIfExists(request);
                writeAtomically(controlDir.get().resolve(id + ".answer"), Json.write(answer));
            } catch (IOException e) {
                log("WARN", "the answer to " + name + " was not written: " + e.getMessage());
            }
        }
    }

    /**
     * What {@code sluice-local interrupt} does: leaves a request for the hypervisor of a running {@code up} in its
     * control directory and waits (up to {@code wait}) for its answer: {@code instance_id}, {@code deadline},
     * {@code event_id}, {@code event_source}; or {@code error}, a sentence.
     */
    public static Map<String, Object> requestInterrupt(Path controlDir, String instanceId, Duration notice, Duration wait)
            throws IOException, InterruptedException {
        checkNotice(notice);
        if (!INSTANCE_ID.matcher(instanceId).matches()) {
            throw new IllegalArgumentException("The instance must be an EC2 instance id such as i-0123456789abcdef0, not '" + instanceId + "'.");
        }
        if (!Files.isDirectory(controlDir)) {
            throw new IllegalStateException("There is no hypervisor here (no " + controlDir + "): is 'sluice-local up' running?");
        }
        Path answer = controlDir.resolve(instanceId + ".answer");
        Path request = controlDir.resolve(instanceId + ".request");
        Files.deleteIfExists(answer);
        writeAtomically(request, Json.write(Map.of("in_seconds", notice.toSeconds())));
        Instant until = Instant.now().plus(wait);
        while (Instant.now().isBefore(until)) {
            if (Files.exists(answer)) {
                Map<String, Object> out = Json.readObject(Files.readString(answer));
                Files.deleteIfExists(answer);
                return out;
            }
            Thread.sleep(100);
        }
        Files.deleteIfExists(request);
        throw new IllegalStateException("No hypervisor answered within " + wait.toSeconds() + " s: is 'sluice-local up' running?");
    }

    private static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void log(String level, String message) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("level", level);
        line.put("logger", "local-hypervisor");
        line.put("message", message);
        System.out.println(Json.write(line));
    }

    /** Stops polling and every agent hosted here (each: its workloads, then the agent; killed after a few seconds). */
    @Override
    public void close() {
        closed = true;
        loop.shutdownNow();
        try {
            loop.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<String> ids = new ArrayList<>(hosted.keySet());
        ids.forEach(id -> stopAgent(id, "the hypervisor stops: instance " + id + " is left running in the emulator"));
        stoppers.shutdown();
        try {
            stoppers.awaitTermination(2 * AgentProcesses.STOP_GRACE.toSeconds() + 2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
