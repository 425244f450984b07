package dev.sluice.local;

import dev.sluice.adapters.aws.AwsClients;
import dev.sluice.core.fleet.PurchaseOption;
import dev.sluice.core.port.FleetDriver;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Tag;

/**
 * A test-only fleet driver over the emulator's EC2 wire protocol (RunInstances, DescribeInstances,
 * TerminateInstances), so the fleet's ITs do not wait for the EC2 Fleet adapter of another branch. It tries the
 * candidates in order within the budget; a candidate named in {@link #insufficient} ({@code type/option/zone}) is
 * answered as EC2 answers a pool without capacity. Tags as the real driver sets them: the group, the launch ref, the
 * purchase option, and the request's own.
 */
final class RunInstancesFleetDriver implements FleetDriver {
    static final String GROUP_TAG = "sluice:resource-group";
    static final String REF_TAG = "sluice:launch-ref";
    static final String OPTION_TAG = "sluice:purchase-option";
    final Ec2Client ec2 = Ec2Client.builder().httpClient(AwsClients.httpClient()).credentialsProvider(AwsClients.credentials()).build();
    final Set<String> insufficient = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @Override
    public LaunchOutcome launch(LaunchRequest request) {
        Instant deadline = Instant.now().plus(request.budget());
        List<Attempt> attempts = new ArrayList<>();
        List<Instance> existing = described(List.of(Filter.builder().name("tag:" + REF_TAG).values(request.ref()).build()));
        if (!existing.isEmpty()) { // the same ref launches once
            Instance i = existing.get(0);
            Candidate c = request.candidates().stream().filter(x -> x.instanceType().equals(i.instanceTypeAsString())).findFirst()
                    .orElse(request.candidates().get(0));
            return new LaunchOutcome(Optional.of(i.instanceId()), Optional.of(c), attempts);
        }
        for (Candidate c : request.candidates()) {
            if (Instant.now().isAfter(deadline)) {
                break;
            }
            if (insufficient.contains(c.instanceType() + "/" + c.option().wireName() + "/" + c.zone())) {
                attempts.add(new Attempt(c, Optional.of("InsufficientInstanceCapacity"),
                        "We currently do not have sufficient " + c.instanceType() + " capacity in " + c.zone(), Instant.now()));
                continue;
            }
            Map<String, String> tags = new LinkedHashMap<>(request.tags());
            tags.put(GROUP_TAG, request.group());
            tags.put(REF_TAG, request.ref());
            tags.put(OPTION_TAG, c.option().wireName());
            String id = ec2.runInstances(b -> b.imageId("ami-sluice-agent").instanceType(c.instanceType()).subnetId(c.subnetId())
                    .minCount(1).maxCount(1)
                    .tagSpecifications(t -> t.resourceType(ResourceType.INSTANCE)
                            .tags(tags.entrySet().stream().map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build()).toList())))
                    .instances().get(0).instanceId();
            attempts.add(new Attempt(c, Optional.empty(), "launched " + id, Instant.now()));
            return new LaunchOutcome(Optional.of(id), Optional.of(c), attempts);
        }
        return new LaunchOutcome(Optional.empty(), Optional.empty(), attempts);
    }

    @Override
    public void terminate(List<String> instanceIds) {
        if (!instanceIds.isEmpty()) {
            ec2.terminateInstances(b -> b.instanceIds(instanceIds));
        }
    }

    @Override
    public List<FleetInstance> instances(String group) {
        return described(List.of(Filter.builder().name("tag:" + GROUP_TAG).values(group).build())).stream()
                .map(i -> new FleetInstance(i.instanceId(), group, i.instanceTypeAsString(),
                        PurchaseOption.fromWire(tag(i, OPTION_TAG).orElse("on-demand")).orElse(PurchaseOption.ON_DEMAND),
                        i.placement() == null ? "" : i.placement().availabilityZone(), i.state().nameAsString(), i.launchTime()))
                .toList();
    }

    /** The instances matching {@code filters} that are not terminated. */
    List<Instance> described(List<Filter> filters) {
        return ec2.describeInstances(b -> b.filters(filters)).reservations().stream().flatMap(r -> r.instances().stream())
                .filter(i -> !"terminated".equals(i.state().nameAsString())).toList();
    }

    static Optional<String> tag(Instance i, String key) {
        return i.tags().stream().filter(t -> t.key().equals(key)).map(Tag::value).findFirst();
    }
}
