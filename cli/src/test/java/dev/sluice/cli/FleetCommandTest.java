package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sluice resource-group fleet show|set} against a fake API. */
class FleetCommandTest {
    static final String CATALOG = """
            {"resource_group":"gpu","instance_types":[
              {"name":"g5.xlarge","slots":{"cpu":"4","mem":"17179869184","cuda.device":"1"},"purchase_options":["spot","on-demand"],
               "on_demand_price":"1.006","spot_price":"0.4","max_instances":4,"zones":[]},
              {"name":"p4d.24xlarge","slots":{"cpu":"96","mem":"1236950581248","cuda.device":"8"},"purchase_options":["on-demand"],
               "on_demand_price":"32.7726","max_instances":2,"zones":["us-east-1b"]}],
             "subnets":[{"zone":"us-east-1a","subnet_id":"subnet-01234567"},{"zone":"us-east-1b","subnet_id":"subnet-89abcdef"}],
             "min_instances":0,"max_instances":6,"idle_duration":"10m","price_source":"AWS list prices, us-east-1"}""";
    private FakeApi api;
    private CliRun cli;

    @BeforeEach
    void start() throws IOException {
        api = new FakeApi();
        cli = new CliRun(Map.of("SLUICE_API", api.url(), "SLUICE_TOKEN", "tok-admin"));
    }

    @AfterEach
    void stop() {
        api.close();
    }

    @Test
    void showPrintsTheLimitsAndOneRowPerType() {
        api.on("GET", "/resource-groups/gpu/fleet", 200, CATALOG,
                CATALOG.replace("\"idle_duration\":\"10m\"", "\"idle_duration\":\"10m\",\"right_sizing\":false"));
        CliRun.Result r = cli.run("resource-group", "fleet", "show", "gpu");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("0 to 6").contains("10m").contains("us-east-1a=subnet-01234567").contains("AWS list prices");
        assertThat(r.out()).containsPattern("g5\\.xlarge +cpu=4 mem=16G cuda\\.device=1 +spot,on-demand +0\\.4 +1\\.006 +4 +all");
        assertThat(r.out()).containsPattern("p4d\\.24xlarge .* +on-demand +- +32\\.7726 +2 +us-east-1b");
        assertThat(r.out()).containsPattern("Right-sizing: +on ");

        assertThat(cli.run("resource-group", "fleet", "show", "gpu").out()).containsPattern("Right-sizing: +off");
    }

    @Test
    void setSendsTheFilesDefinitionAndShowsTheStoredCatalog(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("catalog.json");
        Files.writeString(file, "{\"max_instances\":6,\"subnets\":[],\"instance_types\":[]}");
        api.on("PUT", "/resource-groups/gpu/fleet", 200, CATALOG);
        CliRun.Result r = cli.run("rg", "fleet", "set", "gpu", "--file", file.toString(), "--json");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(Json.MAPPER.readTree(api.only().body()).path("max_instances").asInt()).isEqualTo(6);
        assertThat(Json.MAPPER.readTree(r.out()).path("instance_types").size()).isEqualTo(2);
    }

    @Test
    void aRefusedCatalogSaysWhichFieldAndANonObjectFileIsAUsageError(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("catalog.json");
        Files.writeString(file, "{\"max_instances\":6000}");
        api.on("PUT", "/resource-groups/gpu/fleet", 422,
                "{\"error\":{\"code\":\"invalid_field\",\"message\":\"max_instances must be between 0 and 1000.\",\"field\":\"max_instances\"}}");
        CliRun.Result r = cli.run("resource-group", "fleet", "set", "gpu", "-f", file.toString());
        assertThat(r.exit()).isEqualTo(Sluice.EXIT_REFUSED);
        assertThat(r.err()).contains("max_instances must be between 0 and 1000");

        Files.writeString(file, "[1]");
        assertThat(cli.run("resource-group", "fleet", "set", "gpu", "-f", file.toString()).exit()).isEqualTo(2);
    }
}
