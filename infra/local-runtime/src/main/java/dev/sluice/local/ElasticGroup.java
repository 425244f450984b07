package dev.sluice.local;

import dev.sluice.adapters.ControlPlane;
import dev.sluice.core.fleet.FleetCatalog;
import dev.sluice.core.fleet.Subnet;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.time.DurationText;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Vpc;

/**
 * The group `sluice-local up` serves, {@code gpu-a100}: made at the first start as an elastic group with an instance
 * catalog and no agent; its agents are launched on demand (by the fleet, into the emulator's EC2, and hosted by the
 * {@link LocalHypervisor}). An admin's own catalog, set later, is kept across restarts.
 */
final class ElasticGroup {
    static final String NAME = "gpu-a100";
    /** Short, so the demo shows an idle agent given back within a minute or two. */
    static final Duration IDLE = Duration.ofSeconds(60);
    static final String PRICE_SOURCE = "AWS EC2 On-Demand list prices, Linux, us-east-1 (aws.amazon.com/ec2/pricing/on-demand,"
            + " as known in 2024-2025, not re-read since: check before use); spot prices are planning assumptions (about 60-75%"
            + " below on-demand), not quotes. The slots are this machine's local declaration, not the instance's.";

    private ElasticGroup() {
    }

    /** The catalog of the local elastic group over the given subnets (one per zone, at most three). */
    static Map<String, Object> catalog(List<Subnet> subnets, Duration idle) {
        List<Map<String, Object>> subnetList = new ArrayList<>();
        Set<String> zones = new LinkedHashSet<>();
        for (Subnet s : subnets) {
            if (subnetList.size() < 3 && zones.add(s.zone())) {
                subnetList.add(Map.of("zone", s.zone(), "subnet_id", s.subnetId()));
            }
        }
        Map<String, Object> small = new LinkedHashMap<>();
        small.put("name", "g5.xlarge");
        small.put("accelerator", "NVIDIA A10G 24 GiB");
        small.put("slots", Map.of("cuda.device", 1, "cpu", 4, "mem", "16g"));
        small.put("purchase_options", List.of("spot", "on-demand"));
        small.put("on_demand_price", "1.006");
        small.put("spot_price", "0.40");
        small.put("max_instances", 4);
        Map<String, Object> large = new LinkedHashMap<>();
        large.put("name", "g5.12xlarge");
        large.put("accelerator", "4 x NVIDIA A10G 24 GiB");
        large.put("slots", Map.of("cuda.device", 4, "cpu", 48, "mem", "192g"));
        large.put("purchase_options", List.of("on-demand"));
        large.put("on_demand_price", "5.672");
        large.put("max_instances", 2);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("instance_types", List.of(small, large));
        out.put("subnets", subnetList);
        out.put("min_instances", 0);
        out.put("max_instances", 4);
        out.put("idle_duration", DurationText.format(idle));
        out.put("price_source", PRICE_SOURCE);
        return out;
    }

    /**
     * Makes the group when it does not exist, and gives it the local catalog when it has none; answers the catalog it
     * has then.
     */
    static FleetCatalog ensure(ControlPlane plane, Ec2Client ec2, Duration idle) {
        Instant now = Instant.now();
        if (plane.groupStore().find(NAME).isEmpty()) {
            plane.groupStore().create(ResourceGroup.fromDefinition(NAME, RequestFields.of(Map.of(
                    "description", "A100 hosts, launched on demand (the local elastic group)", "scheduler", "fifo",
                    "scheduler_options", Map.of("allowed_session_types", List.of("interactive", "batch"), "pending_timeout", "30m"))),
                    now, now));
        }
        return plane.groupStore().fleet(NAME).orElseGet(() -> {
            FleetCatalog catalog = FleetCatalog.parse(RequestFields.of(catalog(defaultSubnets(ec2), idle)));
            plane.groupStore().saveFleet(NAME, catalog);
            return catalog;
        });
    }

    /** The subnets of the emulator's default VPC (made when there is none; a subnet made in it when it has none). */
    static List<Subnet> defaultSubnets(Ec2Client ec2) {
        String vpc = ec2.describeVpcs(b -> b.filters(f -> f.name("isDefault").values("true"))).vpcs().stream()
                .filter(v -> Boolean.TRUE.equals(v.isDefault())).map(Vpc::vpcId).findFirst()
                .orElseGet(() -> ec2.createDefaultVpc(b -> { }).vpc().vpcId());
        List<Subnet> subnets = new ArrayList<>(ec2.describeSubnets(b -> b.filters(f -> f.name("vpc-id").values(vpc))).subnets().stream()
                .map(s -> new Subnet(s.availabilityZone(), s.subnetId()))
                .sorted(java.util.Comparator.comparing(Subnet::zone)).toList());
        if (subnets.isEmpty()) {
            String zone = ec2.serviceClientConfiguration().region().id() + "a";
            var made = ec2.createSubnet(b -> b.vpcId(vpc).cidrBlock("172.31.0.0/20").availabilityZone(zone)).subnet();
            subnets.add(new Subnet(made.availabilityZone(), made.subnetId()));
        }
        return subnets;
    }
}
