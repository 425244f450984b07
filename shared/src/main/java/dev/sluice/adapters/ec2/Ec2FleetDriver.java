package dev.sluice.adapters.ec2;

import dev.sluice.adapters.aws.AwsCallTimer;
import dev.sluice.adapters.aws.AwsClients;
import dev.sluice.core.fleet.PurchaseOption;
import dev.sluice.core.port.FleetDriver;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.retries.StandardRetryStrategy;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.Ec2ClientBuilder;
import software.amazon.awssdk.services.ec2.model.CreateFleetError;
import software.amazon.awssdk.services.ec2.model.CreateFleetInstance;
import software.amazon.awssdk.services.ec2.model.CreateFleetRequest;
import software.amazon.awssdk.services.ec2.model.CreateFleetResponse;
import software.amazon.awssdk.services.ec2.model.DefaultTargetCapacityType;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.FleetLaunchTemplateConfigRequest;
import software.amazon.awssdk.services.ec2.model.FleetLaunchTemplateOverridesRequest;
import software.amazon.awssdk.services.ec2.model.FleetOnDemandAllocationStrategy;
import software.amazon.awssdk.services.ec2.model.FleetType;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceLifecycleType;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.SpotAllocationStrategy;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

/**
 * The fleet's instances on EC2 (issue 17): one {@code CreateFleet} call of {@code Type=instant} per candidate, tried in
 * the caller's order within the request's time budget.
 *
 * <p>Why an instant EC2 Fleet rather than an Auto Scaling group per instance type (and zone): an instant fleet answers
 * synchronously, in the one call, with the instance ids it launched and, per capacity pool, the error that kept it from
 * launching ({@code InsufficientInstanceCapacity}, {@code SpotMaxPriceTooLow}, ...), so the next candidate is tried
 * within the same second instead of after an Auto Scaling activity has failed minutes later; scale-in terminates the
 * exact instance the planner retired (an Auto Scaling group chooses its own victim unless every instance is protected);
 * and there is no group per type and zone to create, keep in sync with the catalog and delete. An instant fleet is a
 * record of one launch, not a thing to maintain: nothing is left to clean up but the instances.
 *
 * <p>Each call asks for one instance from one pool: the candidate's type in its subnet, bought as the candidate says.
 * Spot uses the {@code capacity-optimized-prioritized} allocation strategy with the candidate's price cap as both the
 * override's {@code MaxPrice} and the fleet's {@code MaxTotalPrice} (one instance: the same number), so a market price
 * over the cap is an error of that pool, not a silent overspend; on-demand uses {@code prioritized} (the price of
 * on-demand is the list price, so it is not capped here). Trying one pool a call, not all of them in one fleet, keeps
 * the order the core chose (cheapest first) and reports every pool's own error as an {@link Attempt}.
 *
 * <p>The instance gets the tags {@code sluice:resource-group}, {@code sluice:launch-ref}, {@code sluice:purchase-option}
 * and the stack's {@code sluice:stack} (the IAM condition on {@code TerminateInstances} names it), plus the request's.
 * A launch is idempotent per {@code ref}: the {@code ClientToken} of each call is derived from the ref and the
 * candidate's index, and a ref that already has a live instance returns it without a new call to CreateFleet.
 *
 * <p>Errors: {@link LaunchErrors} decides between the next candidate and giving up. Every SDK call is bounded by the
 * time the budget has left (and at most {@link #CALL_TIMEOUT}), so the whole fallback ends within the budget.
 */
public final class Ec2FleetDriver implements FleetDriver {
    public static final String GROUP_TAG = "sluice:resource-group";
    public static final String REF_TAG = "sluice:launch-ref";
    public static final String OPTION_TAG = "sluice:purchase-option";
    public static final String STACK_TAG = "sluice:stack";

    /** The environment variables the driver is configured by (set on the scheduler functions by template.yaml). */
    public static final String LAUNCH_TEMPLATE_ENV = "SLUICE_AGENT_LAUNCH_TEMPLATE_ID";
    public static final String STACK_ENV = "SLUICE_STACK_NAME";

    /** The most one SDK call may take, retries included; less when the budget has less left. */
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);
    /** The most one HTTP attempt of a call may take. */
    static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(5);
    /** The least time worth starting a call with. */
    static final Duration LEAST_CALL = Duration.ofMillis(200);

    private static final List<String> LIVE_STATES = List.of("pending", "running", "shutting-down", "stopping", "stopped");

    private final Ec2Client ec2;
    private final String launchTemplateId;
    private final String stackName;
    private final Clock clock;

    public Ec2FleetDriver(Ec2Client ec2, String launchTemplateId, String stackName, Clock clock) {
        this.ec2 = Objects.requireNonNull(ec2);
        this.launchTemplateId = requireText(launchTemplateId, LAUNCH_TEMPLATE_ENV);
        this.stackName = requireText(stackName, STACK_ENV);
        this.clock = Objects.requireNonNull(clock);
    }

    /**
     * The driver of a deployed function: the launch template and the stack name from its environment, an EC2 client on
     * the container's one HTTP client (endpoint and region from the standard environment, as every client here).
     */
    public static Ec2FleetDriver fromEnvironment(Map<String, String> env, Clock clock) {
        return new Ec2FleetDriver(client(), env.get(LAUNCH_TEMPLATE_ENV), env.get(STACK_ENV), clock);
    }

    /**
     * The driver of a deployed function when its stack has the agents' launch template (parameter AgentArtifactUri set),
     * else empty: a stack without it has no elastic fleet. The EC2 client is made only when there is a driver.
     */
    public static Optional<FleetDriver> configured(Map<String, String> env, Clock clock) {
        String template = env.get(LAUNCH_TEMPLATE_ENV);
        if (template == null || template.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(fromEnvironment(env, clock));
    }

    /** An EC2 client with the driver's timeouts and its retry rule ({@link LaunchErrors#sdkShouldRetry}). */
    public static Ec2Client client() {
        return clientBuilder().build();
    }

    /** The builder of {@link #client()}, for a client that differs in one respect (a test's endpoint). */
    public static Ec2ClientBuilder clientBuilder() {
        return Ec2Client.builder().httpClient(AwsClients.httpClient()).credentialsProvider(AwsClients.credentials())
                .overrideConfiguration(c -> c.addExecutionInterceptor(new AwsCallTimer())
                        .apiCallTimeout(CALL_TIMEOUT).apiCallAttemptTimeout(ATTEMPT_TIMEOUT)
                        .retryStrategy(retryStrategy()));
    }

    static StandardRetryStrategy retryStrategy() {
        return StandardRetryStrategy.builder()
                .maxAttempts(2)
                .retryOnException(Ec2FleetDriver::retryable)
                .backoffStrategy(BackoffStrategy.exponentialDelayHalfJitter(Duration.ofMillis(100), Duration.ofSeconds(1)))
                .throttlingBackoffStrategy(BackoffStrategy.exponentialDelayHalfJitter(Duration.ofMillis(500), Duration.ofSeconds(2)))
                .treatAsThrottling(t -> t instanceof AwsServiceException e && e.awsErrorDetails() != null
                        && "RequestLimitExceeded".equals(e.awsErrorDetails().errorCode()))
                .circuitBreakerEnabled(false)
                .useClientDefaults(false)
                .build();
    }

    private static boolean retryable(Throwable t) {
        if (t instanceof AwsServiceException e) {
            return LaunchErrors.sdkShouldRetry(e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode(), e.statusCode());
        }
        // An I/O failure before any answer; a timeout is not retried (the budget decides, see launch).
        return t instanceof SdkClientException && !(t instanceof ApiCallAttemptTimeoutException) && !(t instanceof ApiCallTimeoutException);
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    @Override
    public LaunchOutcome launch(LaunchRequest request) {
        long started = System.nanoTime();
        long budget = request.budget().toNanos();
        List<Attempt> attempts = new ArrayList<>();
        Optional<LaunchOutcome> existing = existing(request, attempts, remaining(started, budget));
        if (existing.isPresent()) {
            return existing.get();
        }
        boolean unsure = false;
        for (int i = 0; i < request.candidates().size(); i++) {
            Candidate candidate = request.candidates().get(i);
            Duration left = remaining(started, budget);
            if (left.compareTo(LEAST_CALL) < 0) {
                break;
            }
            if (unsure) {
                // The last call got no answer: it may have reached EC2 and launched. Look before launching another.
                existing = existing(request, attempts, left);
                if (existing.isPresent()) {
                    return existing.get();
                }
                left = remaining(started, budget);
                if (left.compareTo(LEAST_CALL) < 0) {
                    break;
                }
            }
            Tried tried = tryOne(request, i, candidate, left);
            attempts.add(new Attempt(candidate, tried.error(), tried.message(), clock.instant()));
            if (tried.instanceId().isPresent()) {
                return new LaunchOutcome(tried.instanceId(), Optional.of(candidate), attempts);
            }
            String code = tried.error().orElseThrow();
            unsure = code.equals(LaunchErrors.TIMEOUT) || code.equals(LaunchErrors.NO_ANSWER);
            if (LaunchErrors.after(code) == LaunchErrors.Next.STOP) {
                break;
            }
        }
        if (unsure) {
            // The last call got no answer and the budget (or the candidates) ran out: it may still have launched. One
            // last look, even past the budget, so an instance that exists is never reported as nothing (and left running).
            existing = existing(request, attempts, max(remaining(started, budget), LEAST_CALL));
            if (existing.isPresent()) {
                return existing.get();
            }
        }
        return new LaunchOutcome(Optional.empty(), Optional.empty(), attempts);
    }

    private record Tried(Optional<String> instanceId, Optional<String> error, String message) {
        static Tried failed(String code, String message) {
            return new Tried(Optional.empty(), Optional.of(code), message);
        }
    }

    private Tried tryOne(LaunchRequest request, int index, Candidate candidate, Duration left) {
        CreateFleetResponse answer;
        try {
            answer = ec2.createFleet(createFleet(request, index, candidate).toBuilder()
                    .overrideConfiguration(o -> o.apiCallTimeout(min(left, CALL_TIMEOUT)).apiCallAttemptTimeout(min(left, ATTEMPT_TIMEOUT)))
                    .build());
        } catch (AwsServiceException e) {
            String code = e.awsErrorDetails() == null || e.awsErrorDetails().errorCode() == null
                    ? "HTTP" + e.statusCode() : e.awsErrorDetails().errorCode();
            String message = e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage();
            return Tried.failed(code, message == null ? code : message);
        } catch (ApiCallTimeoutException | ApiCallAttemptTimeoutException e) {
            return Tried.failed(LaunchErrors.TIMEOUT, "EC2 did not answer CreateFleet within " + min(left, CALL_TIMEOUT).toMillis() + " ms");
        } catch (SdkClientException e) {
            return Tried.failed(LaunchErrors.NO_ANSWER, "CreateFleet got no answer: " + e.getMessage());
        }
        for (CreateFleetInstance launched : answer.instances()) {
            if (!launched.instanceIds().isEmpty()) {
                return new Tried(Optional.of(launched.instanceIds().get(0)), Optional.empty(),
                        "launched " + launched.instanceIds().get(0) + " (" + candidate.instanceType() + ", "
                                + candidate.option().wireName() + ", " + candidate.zone() + ")");
            }
        }
        for (CreateFleetError error : answer.errors()) {
            if (error.errorCode() != null) {
                return Tried.failed(error.errorCode(), error.errorMessage() == null ? error.errorCode() : error.errorMessage());
            }
        }
        return Tried.failed(LaunchErrors.NOTHING_LAUNCHED, "CreateFleet answered with neither an instance nor an error");
    }

    /** The CreateFleet request of one candidate: one instance from one pool. */
    CreateFleetRequest createFleet(LaunchRequest request, int index, Candidate candidate) {
        boolean spot = candidate.option() == PurchaseOption.SPOT;
        FleetLaunchTemplateOverridesRequest.Builder override = FleetLaunchTemplateOverridesRequest.builder()
                .instanceType(candidate.instanceType()).subnetId(candidate.subnetId()).priority(0.0);
        Optional<String> cap = dollarsAnHour(candidate.maxHourlyMicroUsd());
        if (spot) {
            cap.ifPresent(override::maxPrice);
        }
        CreateFleetRequest.Builder b = CreateFleetRequest.builder()
                .type(FleetType.INSTANT)
                .clientToken(clientToken(request.ref(), index))
                .launchTemplateConfigs(FleetLaunchTemplateConfigRequest.builder()
                        .launchTemplateSpecification(s -> s.launchTemplateId(launchTemplateId).version("$Latest"))
                        .overrides(override.build())
                        .build())
                .targetCapacitySpecification(t -> t.totalTargetCapacity(1)
                        .onDemandTargetCapacity(spot ? 0 : 1).spotTargetCapacity(spot ? 1 : 0)
                        .defaultTargetCapacityType(spot ? DefaultTargetCapacityType.SPOT : DefaultTargetCapacityType.ON_DEMAND))
                .tagSpecifications(TagSpecification.builder().resourceType(ResourceType.INSTANCE).tags(tags(request, candidate)).build());
        if (spot) {
            b.spotOptions(s -> {
                s.allocationStrategy(SpotAllocationStrategy.CAPACITY_OPTIMIZED_PRIORITIZED);
                cap.ifPresent(s::maxTotalPrice);
            });
        } else {
            b.onDemandOptions(o -> o.allocationStrategy(FleetOnDemandAllocationStrategy.PRIORITIZED));
        }
        return b.build();
    }

    private List<Tag> tags(LaunchRequest request, Candidate candidate) {
        Map<String, String> tags = new LinkedHashMap<>(request.tags());
        // The driver's own tags win over the caller's: the group, the ref and the stack are what it finds instances by.
        tags.put(GROUP_TAG, request.group());
        tags.put(REF_TAG, request.ref());
        tags.put(OPTION_TAG, candidate.option().wireName());
        tags.put(STACK_TAG, stackName);
        return tags.entrySet().stream().map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build()).toList();
    }

    /**
     * The ClientToken of a candidate's call: the same ref and index give the same token (EC2 answers a repeated token
     * with the first call's result), within EC2's limit of 64 ASCII characters whatever the ref.
     */
    static String clientToken(String ref, int index) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(ref.getBytes(StandardCharsets.UTF_8));
            return "sluice-" + HexFormat.of().formatHex(digest, 0, 20) + "-" + index;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** A cap in micro-dollars an hour as EC2's price text (dollars, six decimals); none for zero or less (no cap). */
    static Optional<String> dollarsAnHour(long microUsd) {
        if (microUsd <= 0) {
            return Optional.empty();
        }
        return Optional.of(BigDecimal.valueOf(microUsd).movePointLeft(6).setScale(6, RoundingMode.UNNECESSARY).toPlainString());
    }

    /** A live instance already launched for this ref, as the outcome of the launch (nothing new is launched). */
    private Optional<LaunchOutcome> existing(LaunchRequest request, List<Attempt> attempts, Duration left) {
        if (left.compareTo(LEAST_CALL) < 0) {
            return Optional.empty();
        }
        List<Instance> found;
        try {
            found = describe(List.of(tagFilter(GROUP_TAG, request.group()), tagFilter(REF_TAG, request.ref()), liveStates()), left);
        } catch (SdkException e) {
            // Not knowing is no reason not to launch: the ClientToken still makes the same candidate's call idempotent.
            return Optional.empty();
        }
        return found.stream().findFirst().map(i -> {
            Optional<Candidate> candidate = request.candidates().stream()
                    .filter(c -> c.instanceType().equals(i.instanceTypeAsString()) && Objects.equals(c.subnetId(), i.subnetId()))
                    .findFirst()
                    .or(() -> request.candidates().stream().filter(c -> c.instanceType().equals(i.instanceTypeAsString())).findFirst())
                    // Not one of the request's (EC2 launched something else under the ref): still reported as what it
                    // is, so the caller records it and it is never left running unknown (no price cap known: 0).
                    .or(() -> Optional.of(new Candidate(i.instanceTypeAsString(), option(i),
                            i.placement() == null ? "" : Objects.requireNonNullElse(i.placement().availabilityZone(), ""),
                            Objects.requireNonNullElse(i.subnetId(), ""), 0L)));
            return new LaunchOutcome(Optional.of(i.instanceId()), candidate, attempts);
        });
    }

    @Override
    public void terminate(List<String> instanceIds) {
        List<String> ids = instanceIds.stream().filter(Objects::nonNull).distinct().toList();
        if (ids.isEmpty()) {
            return;
        }
        try {
            ec2.terminateInstances(b -> b.instanceIds(ids));
        } catch (AwsServiceException e) {
            if (!gone(e)) {
                throw e;
            }
            // One unknown id fails the whole call: terminate the others one by one, skipping the unknown.
            for (String id : ids) {
                try {
                    ec2.terminateInstances(b -> b.instanceIds(id));
                } catch (AwsServiceException each) {
                    if (!gone(each)) {
                        throw each;
                    }
                }
            }
        }
    }

    private static boolean gone(AwsServiceException e) {
        String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
        return code != null && (code.equals("InvalidInstanceID.NotFound") || code.equals("InvalidInstanceID.Malformed"));
    }

    @Override
    public List<FleetInstance> instances(String group) {
        // Only what the fleet launched (it has a launch ref): a fixed Auto Scaling group's agents of the same group are not the fleet's.
        List<Instance> found = describe(List.of(tagFilter(GROUP_TAG, group), Filter.builder().name("tag-key").values(REF_TAG).build(),
                liveStates()), CALL_TIMEOUT);
        return found.stream().map(i -> new FleetInstance(i.instanceId(), group, i.instanceTypeAsString(), option(i),
                i.placement() == null ? "" : Objects.requireNonNullElse(i.placement().availabilityZone(), ""),
                i.state() == null ? "" : i.state().nameAsString(), i.launchTime())).toList();
    }

    /**
     * How an instance was bought: EC2's {@code InstanceLifecycle} says {@code spot} for a spot instance (and nothing for
     * on-demand); the driver's own tag stands in where an EC2 (the emulator) leaves the lifecycle out.
     */
    static PurchaseOption option(Instance i) {
        if (i.instanceLifecycle() == InstanceLifecycleType.SPOT) {
            return PurchaseOption.SPOT;
        }
        if (i.instanceLifecycle() == null || i.instanceLifecycle() == InstanceLifecycleType.UNKNOWN_TO_SDK_VERSION) {
            return i.tags().stream().filter(t -> OPTION_TAG.equals(t.key())).findFirst()
                    .flatMap(t -> PurchaseOption.fromWire(t.value())).orElse(PurchaseOption.ON_DEMAND);
        }
        return PurchaseOption.ON_DEMAND;
    }

    private List<Instance> describe(List<Filter> filters, Duration timeout) {
        List<Instance> out = new ArrayList<>();
        DescribeInstancesRequest request = DescribeInstancesRequest.builder().filters(filters).maxResults(1000)
                .overrideConfiguration(o -> o.apiCallTimeout(min(timeout, CALL_TIMEOUT)))
                .build();
        ec2.describeInstancesPaginator(request).reservations().forEach(r -> out.addAll(r.instances()));
        return out;
    }

    private static Filter tagFilter(String key, String value) {
        return Filter.builder().name("tag:" + key).values(value).build();
    }

    private static Filter liveStates() {
        return Filter.builder().name("instance-state-name").values(LIVE_STATES).build();
    }

    private static Duration remaining(long startedNanos, long budgetNanos) {
        return Duration.ofNanos(Math.max(0, budgetNanos - (System.nanoTime() - startedNanos)));
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static String requireText(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("the fleet driver needs " + name + " (the agents' launch template and the stack it belongs to)");
        }
        return value;
    }
}
