package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Mistakes on the command line are usage errors (exit 2) caught before any request is made. */
class ArgumentsTest {
    private static CliRun cli;

    @BeforeAll
    static void configuredForAnEndpointThatWouldRefuseAnyConnection() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        cli = new CliRun(Map.of("SLUICE_API", "http://127.0.0.1:" + closedPort + "/v1", "SLUICE_TOKEN", "t"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "frobnicate                                              | Unmatched argument at index 0: 'frobnicate'",
        "ps --running --dead                                     | --running, --dead are mutually exclusive",
        "ps --status PENDING --running                           | mutually exclusive",
        "ps --all --owner someone                                | mutually exclusive",
        "ps --limit many                                         | Invalid value for option '--limit'",
        "ps --limit 0                                            | --limit must be at least 1",
        "session create --name x                                 | Missing required option: '--image=IMAGE'",
        "session create --image py --slot cpu                    | should be in KEY=VALUE format but was cpu",
        "session create --image py --type gaming                 | Invalid value for option '--type': 'gaming'",
        "session create --image py --priority high               | Invalid value for option '--priority'",
        "session get                                             | Missing required parameter: 'ID'",
        "session destroy a b                                     | Unmatched argument",
        "session events s1 --interval 0                          | --interval must be more than 0 seconds",
        "resource-group create g --scheduler sjf                 | Invalid value for option '--scheduler': 'sjf'",
        "resource-group create g --allow interactive,gaming      | Invalid value for option '--allow': 'gaming'",
        "resource-group create g --strategy random               | Invalid value for option '--strategy': 'random'",
        "resource-group create g --active --inactive             | --active and --inactive are mutually exclusive",
        "resource-group update g                                 | Nothing to update",
        "configure                                               | Give --endpoint URL, --token TOKEN or both."})
    void mistakesAreUsageErrorsNamingTheProblem(String args, String message) {
        CliRun.Result r = cli.run(args.trim().split("\\s+"));
        assertThat(r.exit()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains(message).contains("--help");
        assertThat(r.err()).doesNotContain("Cannot reach");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void noCommandPrintsTheUsageAsAUsageError() {
        CliRun.Result r = cli.run();
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("Usage: sluice").contains("ps").contains("session").contains("resource-group");
    }

    @Test
    void helpListsTheExitCodesAndSucceeds() {
        CliRun.Result r = cli.run("--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("Exit codes:").contains("0  success").contains("1  the API refused")
                .contains("2  usage error");
        CliRun.Result sub = cli.run("session", "create", "--help");
        assertThat(sub.exit()).isZero();
        assertThat(sub.out()).contains("--idempotency-key").contains("Exit codes:");
    }

    @Test
    void versionPrintsTheBuiltVersion() {
        CliRun.Result r = cli.run("version");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).startsWith("sluice ").doesNotContain("${");
        assertThat(cli.run("--version").out()).isEqualTo(r.out());
    }
}
