package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A resource group's instance catalog (issue 17) through the emulator's API Gateway: admins only, validated field by field. */
class FleetApiIT {
    static final String CATALOG = """
            {"subnets": [{"zone": "us-east-1a", "subnet_id": "subnet-0123456789abcdef0"},
                         {"zone": "us-east-1b", "subnet_id": "subnet-01234567"}],
             "min_instances": 0, "max_instances": 6, "idle_duration": "15m",
             "price_source": "AWS EC2 On-Demand list prices, us-east-1, Linux; spot a typical recent price",
             "instance_types": [
               {"name": "g5.xlarge", "accelerator": "NVIDIA A10G", "slots": {"cuda.device": 1, "cpu": 4, "mem": "16g"},
                "purchase_options": ["spot", "on-demand"], "on_demand_price": 1.006, "spot_price": "0.40", "max_instances": 4},
               {"name": "p4d.24xlarge", "slots": {"cuda.device": 8, "cpu": 96, "mem": "1152g"},
                "purchase_options": ["on-demand"], "on_demand_price": "32.7726", "zones": ["us-east-1b"]}]}
            """;
    private static LocalStack local;
    private static ApiClient api;
    private static String admin;
    private static String alice;

    @BeforeAll
    static void stack() throws Exception {
        local = LocalStack.get();
        api = new ApiClient(local.apiUrl);
        admin = local.adminToken();
        alice = local.token("alice");
    }

    private static String newGroup() {
        String name = "fleet-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(api.put("/resource-groups/" + name, admin, "{\"description\":\"elastic\"}").status()).isEqualTo(201);
        return name;
    }

    @Test
    void anAdminSetsAndReadsACatalogAndAGroupDefinitionLeavesItAlone() {
        String group = newGroup();
        String path = "/resource-groups/" + group + "/fleet";
        assertThat(api.get(path, admin).status()).isEqualTo(404);

        ApiClient.Reply put = api.put(path, admin, CATALOG);
        assertThat(put.status()).isEqualTo(200);
        JsonNode c = put.json();
        assertThat(c.path("resource_group").asText()).isEqualTo(group);
        assertThat(c.path("idle_duration").asText()).isEqualTo("15m");
        assertThat(c.path("right_sizing").isBoolean()).isTrue();
        assertThat(c.path("right_sizing").asBoolean()).as("on unless turned off").isTrue();
        JsonNode g5 = c.path("instance_types").get(0);
        assertThat(g5.path("name").asText()).isEqualTo("g5.xlarge");
        assertThat(g5.path("on_demand_price").asText()).isEqualTo("1.006");
        assertThat(g5.path("spot_price").asText()).isEqualTo("0.4");
        assertThat(g5.path("slots").path("mem").asText()).isEqualTo(String.valueOf(16L << 30));
        assertThat(c.path("instance_types").get(1).path("max_instances").asInt()).isEqualTo(6);

        // A change of the group's definition keeps the catalog stored on the same item.
        assertThat(api.call("PATCH", "/resource-groups/" + group, admin, "{\"description\":\"still elastic\"}", Map.of()).status()).isEqualTo(200);
        assertThat(api.put("/resource-groups/" + group, admin, "{\"description\":\"replaced\"}").status()).isEqualTo(200);
        ApiClient.Reply read = api.get(path, admin);
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.json()).isEqualTo(c);

        // Turned off, it is stored and read back off.
        ApiClient.Reply off = api.put(path, admin, CATALOG.replace("\"idle_duration\": \"15m\",", "\"idle_duration\": \"15m\", \"right_sizing\": false,"));
        assertThat(off.status()).as(off.body()).isEqualTo(200);
        assertThat(off.json().path("right_sizing").asBoolean(true)).isFalse();
        assertThat(api.get(path, admin).json().path("right_sizing").asBoolean(true)).isFalse();
    }

    @Test
    void onlyAdminsReadOrWriteACatalog() {
        String group = newGroup();
        String path = "/resource-groups/" + group + "/fleet";
        assertThat(api.put(path, alice, CATALOG).status()).isEqualTo(403);
        assertThat(api.get(path, alice).status()).isEqualTo(403);
        assertThat(api.get(path, admin).status()).isEqualTo(404);
        assertThat(api.put("/resource-groups/no-such-" + group + "/fleet", admin, CATALOG).status()).isEqualTo(404);
        ApiClient.Reply other = api.call("DELETE", path, admin, null, Map.of());
        assertThat(other.status()).isEqualTo(405);
    }

    static Stream<Arguments> badCatalogs() {
        return Stream.of(
                Arguments.of("\"max_instances\": 6", "\"max_instances\": 6000", "max_instances"),
                Arguments.of("\"min_instances\": 0", "\"min_instances\": 7", "min_instances"),
                Arguments.of("\"idle_duration\": \"15m\"", "\"idle_duration\": \"0\"", "idle_duration"),
                Arguments.of("\"idle_duration\": \"15m\"", "\"idle_duration\": \"15m\", \"right_sizing\": \"no\"", "right_sizing"),
                Arguments.of("\"subnet_id\": \"subnet-01234567\"", "\"subnet_id\": \"vpc-1\"", "subnets[1].subnet_id"),
                Arguments.of("\"name\": \"g5.xlarge\"", "\"name\": \"G5\"", "instance_types[0].name"),
                Arguments.of("\"cuda.device\": 1,", "\"gpu\": 1,", "instance_types[0].slots.gpu"),
                Arguments.of("\"spot_price\": \"0.40\"", "\"spot_price\": \"free\"", "instance_types[0].spot_price"),
                Arguments.of("\"purchase_options\": [\"on-demand\"]", "\"purchase_options\": [\"reserved\"]", "instance_types[1].purchase_options"),
                Arguments.of("\"zones\": [\"us-east-1b\"]", "\"zones\": [\"eu-west-1a\"]", "instance_types[1].zones"),
                Arguments.of("\"max_instances\": 4", "\"max_instances\": 9", "instance_types[0].max_instances"));
    }

    @ParameterizedTest
    @MethodSource("badCatalogs")
    void aBadCatalogIsRefusedNamingTheFieldAndChangesNothing(String from, String to, String field) {
        String group = newGroup();
        String path = "/resource-groups/" + group + "/fleet";
        assertThat(api.put(path, admin, CATALOG).status()).isEqualTo(200);
        String bad = CATALOG.replace(from, to);
        assertThat(bad).isNotEqualTo(CATALOG);
        ApiClient.Reply reply = api.put(path, admin, bad);
        assertThat(reply.status()).isEqualTo(422);
        assertThat(reply.errorField()).isEqualTo(field);
        assertThat(api.get(path, admin).json().path("max_instances").asInt()).isEqualTo(6);
        assertThat(api.get(path, admin).json().path("instance_types").get(0).path("spot_price").asText()).isEqualTo("0.4");
    }
}
