package dev.sluice.adapters.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.adapters.json.Json;
import dev.sluice.core.fleet.FleetCatalog;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.request.RequestFields;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A group's instance catalog as stored on the group's item: the definition an admin writes, read back equal. */
class FleetItemTest {

    private static FleetCatalog catalog() {
        return FleetCatalog.parse(RequestFields.of(Map.of(
                "subnets", List.of(Map.of("zone", "us-east-1a", "subnet_id", "subnet-0123456789abcdef0"),
                        Map.of("zone", "us-east-1b", "subnet_id", "subnet-01234567")),
                "min_instances", 1,
                "max_instances", 8,
                "idle_duration", "15m",
                "price_source", "AWS EC2 list prices, us-east-1, Linux",
                "instance_types", List.of(
                        Map.of("name", "g5.xlarge", "accelerator", "NVIDIA A10G", "slots", Map.of("cuda.device", 1, "cpu", 4, "mem", "16g"),
                                "purchase_options", List.of("spot", "on-demand"), "spot_price", "0.4", "on_demand_price", 1.006,
                                "max_instances", 4, "zones", List.of("us-east-1b")),
                        Map.of("name", "p4d.24xlarge", "slots", Map.of("cuda.device", 8, "cpu", 96, "mem", "1152g"),
                                "on_demand_price", "32.7726")))));
    }

    @Test
    void theStoredCatalogReadsBackEqual() {
        FleetCatalog c = catalog();
        ResourceGroupItem item = new ResourceGroupItem();
        item.setFleet(Json.write(ResourceGroupItem.storedFleet(c)));
        assertThat(item.toFleet()).contains(c);
        assertThat(item.getFleet()).contains("\"on_demand_price\":\"1.006\"").contains("\"spot_price\":\"0.4\"");
    }

    @Test
    void aGroupsDefinitionLeavesTheCatalogAttributeUnset() {
        ResourceGroup g = ResourceGroup.fromDefinition("g", RequestFields.of(Map.of()), Instant.EPOCH, Instant.EPOCH);
        ResourceGroupItem item = ResourceGroupItem.from(g);
        assertThat(item.getFleet()).isNull();
        assertThat(item.toFleet()).isEmpty();
    }
}
