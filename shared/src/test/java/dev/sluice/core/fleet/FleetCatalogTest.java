package dev.sluice.core.fleet;

import static dev.sluice.core.fleet.FleetFixtures.definition;
import static dev.sluice.core.fleet.FleetFixtures.type;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.slots.ResourceSlots;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class FleetCatalogTest {

    private static Map<String, Object> valid() {
        return new HashMap<>(definition(1, 6, new ArrayList<>(List.of(
                new HashMap<>(type("g5.xlarge", 1, 4, "16g", "0.40", "1.006", 4)),
                new HashMap<>(type("p4d.24xlarge", 8, 96, "1152g", null, "32.7726", 2))))));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> firstType(Map<String, Object> d) {
        return ((List<Map<String, Object>>) d.get("instance_types")).get(0);
    }

    private static void refused(Consumer<Map<String, Object>> change, String field, String words) {
        Map<String, Object> d = valid();
        change.accept(d);
        assertThatThrownBy(() -> FleetCatalog.parse(RequestFields.of(d)))
                .isInstanceOfSatisfying(DomainException.class, e -> {
                    assertThat(e.field()).contains(field);
                    assertThat(e.getMessage()).contains(words);
                    dev.sluice.core.error.Sentences.assertReadsAsSentence(e);
                });
    }

    @Test
    void parsesAFullDefinition() {
        FleetCatalog c = FleetCatalog.parse(RequestFields.of(valid()));
        assertThat(c.minInstances()).isEqualTo(1);
        assertThat(c.maxInstances()).isEqualTo(6);
        assertThat(c.idleDuration()).isEqualTo(Duration.ofMinutes(10));
        assertThat(c.rightSizing()).as("on unless turned off").isTrue();
        Map<String, Object> off = valid();
        off.put("right_sizing", false);
        assertThat(FleetCatalog.parse(RequestFields.of(off)).rightSizing()).isFalse();
        assertThat(c.subnets()).extracting(Subnet::zone).containsExactly("us-east-1a", "us-east-1b");
        InstanceType g5 = c.type("g5.xlarge").orElseThrow();
        assertThat(g5.slots().get(ResourceSlots.CUDA_DEVICE)).isEqualByComparingTo(BigDecimal.ONE);
        assertThat(g5.slots().get(ResourceSlots.MEM)).isEqualByComparingTo(BigDecimal.valueOf(16L << 30));
        assertThat(g5.purchaseOptions()).containsExactly(PurchaseOption.SPOT, PurchaseOption.ON_DEMAND);
        assertThat(g5.spotMicroUsd()).contains(400_000L);
        assertThat(g5.onDemandMicroUsd()).contains(1_006_000L);
        assertThat(g5.preferredOption()).isEqualTo(PurchaseOption.SPOT);
        assertThat(g5.maxInstances()).isEqualTo(4);
        InstanceType p4d = c.type("p4d.24xlarge").orElseThrow();
        assertThat(p4d.preferredOption()).isEqualTo(PurchaseOption.ON_DEMAND);
        assertThat(p4d.preferredMicroUsd()).isEqualTo(32_772_600L);
        assertThat(c.subnetsOf(p4d)).hasSize(2);
        assertThat(FleetCatalog.dollars(32_772_600L)).isEqualTo("32.7726");
    }

    @Test
    void aTypeWithoutMaxTakesTheGroupsAndZonesNarrowItsSubnets() {
        Map<String, Object> d = valid();
        firstType(d).remove("max_instances");
        firstType(d).put("zones", List.of("us-east-1b"));
        FleetCatalog c = FleetCatalog.parse(RequestFields.of(d));
        InstanceType g5 = c.type("g5.xlarge").orElseThrow();
        assertThat(g5.maxInstances()).isEqualTo(6);
        assertThat(c.subnetsOf(g5)).extracting(Subnet::subnetId).containsExactly("subnet-0fedcba9876543210");
    }

    @Test
    void refusesEachBadFieldByName() {
        refused(d -> d.put("size", 3), "size", "is not a known field");
        refused(d -> d.remove("max_instances"), "max_instances", "is required");
        refused(d -> d.put("max_instances", 1001), "max_instances", "between 0 and 1000");
        refused(d -> d.put("min_instances", 7), "min_instances", "must not be more than max_instances (6)");
        refused(d -> d.put("idle_duration", "0"), "idle_duration", "more than 0 and at most 7 days");
        refused(d -> d.put("idle_duration", "8d"), "idle_duration", "more than 0 and at most 7 days");
        refused(d -> d.put("right_sizing", "yes"), "right_sizing", "must be true or false");
        refused(d -> d.put("instance_types", List.of()), "instance_types", "non-empty list");
        refused(d -> d.put("subnets", List.of()), "subnets", "non-empty list");
        refused(d -> d.put("subnets", List.of(Map.of("zone", "us-east-1a", "subnet_id", "sn-1"))), "subnets[0].subnet_id", "subnet id");
        refused(d -> d.put("subnets", List.of(Map.of("zone", "east", "subnet_id", "subnet-01234567"))), "subnets[0].zone", "availability zone");
        refused(d -> d.put("subnets", List.of(Map.of("zone", "us-east-1a", "subnet_id", "subnet-01234567"),
                Map.of("zone", "us-east-1a", "subnet_id", "subnet-01234568"))), "subnets[1].zone", "one subnet per zone");
        refused(d -> firstType(d).put("name", "G5 XL"), "instance_types[0].name", "EC2 instance type");
        refused(d -> firstType(d).put("name", "p4d.24xlarge"), "instance_types[1].name", "listed twice");
        refused(d -> firstType(d).put("slots", Map.of("gpu", 1, "cpu", 4, "mem", "16g")), "instance_types[0].slots.gpu", "not a known resource slot");
        refused(d -> firstType(d).put("slots", Map.of("cuda.device", 1)), "instance_types[0].slots", "cpu and mem");
        refused(d -> firstType(d).remove("slots"), "instance_types[0].slots", "is required");
        refused(d -> firstType(d).put("purchase_options", List.of("reserved")), "instance_types[0].purchase_options", "only spot or on-demand");
        refused(d -> firstType(d).put("purchase_options", List.of("spot", "spot")), "instance_types[0].purchase_options", "twice");
        refused(d -> firstType(d).remove("spot_price"), "instance_types[0].spot_price", "required when purchase_options has spot");
        refused(d -> firstType(d).put("on_demand_price", "cheap"), "instance_types[0].on_demand_price", "price in dollars");
        refused(d -> firstType(d).put("on_demand_price", 0), "instance_types[0].on_demand_price", "more than 0");
        refused(d -> firstType(d).put("on_demand_price", "1006"), "instance_types[0].on_demand_price", "at most 1000");
        refused(d -> firstType(d).put("spot_price", "0.1234567"), "instance_types[0].spot_price", "6 decimal places");
        refused(d -> firstType(d).put("max_instances", 7), "instance_types[0].max_instances", "catalog's max_instances (6)");
        refused(d -> firstType(d).put("zones", List.of("us-west-2a")), "instance_types[0].zones", "zones of the catalog's subnets");
        refused(d -> firstType(d).put("accelerator", ""), "instance_types[0].accelerator", "1-64 characters");
        refused(d -> firstType(d).put("extra", true), "instance_types[0].extra", "is not a known field");
    }
}
