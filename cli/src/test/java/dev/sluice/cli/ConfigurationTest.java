package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigurationTest {
    @TempDir
    Path home;

    private FakeApi api;

    @BeforeEach
    void api() throws Exception {
        api = new FakeApi().on("GET", "/sessions", 200, "{\"items\":[],\"next_cursor\":null}");
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private Path defaultFile() {
        return home.resolve(".config/sluice/config.json");
    }

    private void stored(String endpoint, String token) throws Exception {
        Configuration.write(defaultFile(), new Configuration.Stored(Optional.ofNullable(endpoint), Optional.ofNullable(token)));
    }

    @Test
    void configureWritesAFileOnlyItsOwnerCanReadAndLaterCommandsUseIt() throws Exception {
        CliRun cli = new CliRun(Map.of("HOME", home.toString()));
        CliRun.Result saved = cli.run("configure", "--endpoint", api.url() + "/", "--token", "tok-1");
        assertThat(saved.exit()).as(saved.toString()).isZero();
        assertThat(saved.out()).contains(defaultFile().toString());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(defaultFile()))).isEqualTo("rw-------");
        assertThat(Json.MAPPER.readTree(defaultFile().toFile()).path("endpoint").asText()).isEqualTo(api.url());

        CliRun.Result listed = cli.run("ps");
        assertThat(listed.exit()).as(listed.toString()).isZero();
        assertThat(api.only().header("Authorization")).isEqualTo("Bearer tok-1");
    }

    @Test
    void configuringOneSettingKeepsTheOther() throws Exception {
        stored(api.url(), "old");
        CliRun.Result r = new CliRun(Map.of("HOME", home.toString())).run("configure", "--token", "new");
        assertThat(r.exit()).isZero();
        assertThat(Configuration.read(defaultFile())).isEqualTo(new Configuration.Stored(Optional.of(api.url()), Optional.of("new")));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(defaultFile()))).isEqualTo("rw-------");
    }

    @Test
    void sluiceConfigNamesAnotherFile() throws Exception {
        Path file = home.resolve("elsewhere.json");
        CliRun cli = new CliRun(Map.of("HOME", home.toString(), "SLUICE_CONFIG", file.toString()));
        assertThat(cli.run("configure", "--endpoint", api.url(), "--token", "tok-2").exit()).isZero();
        assertThat(file).exists();
        assertThat(defaultFile()).doesNotExist();
        assertThat(cli.run("ps").exit()).isZero();
        assertThat(api.only().header("Authorization")).isEqualTo("Bearer tok-2");
    }

    @Test
    void environmentOverridesTheFileAndFlagsOverrideTheEnvironment() throws Exception {
        stored("http://file.invalid/v1", "from-file");
        Map<String, String> env = new HashMap<>(Map.of("HOME", home.toString()));
        assertThat(Configuration.resolve(null, null, env)).isEqualTo(new Configuration("http://file.invalid/v1", "from-file"));

        env.put("SLUICE_TOKEN", "from-env");
        assertThat(Configuration.resolve(null, null, env)).isEqualTo(new Configuration("http://file.invalid/v1", "from-env"));

        env.put("SLUICE_API", "http://env.invalid/v1/");
        assertThat(Configuration.resolve(null, null, env)).isEqualTo(new Configuration("http://env.invalid/v1", "from-env"));

        assertThat(Configuration.resolve("https://flag.invalid/v1", "from-flag", env))
                .isEqualTo(new Configuration("https://flag.invalid/v1", "from-flag"));
    }

    @Test
    void flagsOnTheCommandLineWinOverEverythingElse() throws Exception {
        stored("http://127.0.0.1:9/v1", "from-file");
        CliRun cli = new CliRun(Map.of("HOME", home.toString(), "SLUICE_API", "http://127.0.0.1:9/v1", "SLUICE_TOKEN", "from-env"));
        CliRun.Result r = cli.run("ps", "--endpoint", api.url(), "--token", "from-flag");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(api.only().header("Authorization")).isEqualTo("Bearer from-flag");
        assertThat(cli.run("--endpoint", api.url(), "ps").exit()).isZero();
        assertThat(api.requests.get(1).header("Authorization")).isEqualTo("Bearer from-env");
    }

    @Test
    void noConfigurationAnywhereIsExitTwoSayingHowToConfigure() {
        CliRun.Result r = new CliRun(Map.of("HOME", home.toString())).run("ps");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("No Sluice API endpoint is configured").contains("sluice configure");

        CliRun.Result noToken = new CliRun(Map.of("HOME", home.toString(), "SLUICE_API", api.url())).run("ps");
        assertThat(noToken.exit()).isEqualTo(2);
        assertThat(noToken.err()).contains("No token is configured").contains("SLUICE_TOKEN");
        assertThat(api.requests).isEmpty();
    }

    @Test
    void anEndpointThatIsNotAnHttpUrlIsRefusedBeforeAnyRequest() {
        CliRun.Result r = new CliRun(Map.of("SLUICE_API", "127.0.0.1:4566", "SLUICE_TOKEN", "t")).run("ps");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("is not an http(s) URL");
        assertThatThrownBy(() -> Configuration.checkedEndpoint("ftp://x/v1")).isInstanceOf(NotConfigured.class);
    }

    @Test
    void aBrokenConfigurationFileIsExitTwoNamingTheFile() throws Exception {
        Files.createDirectories(defaultFile().getParent());
        Files.writeString(defaultFile(), "{not json");
        CliRun.Result r = new CliRun(Map.of("HOME", home.toString())).run("ps");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains(defaultFile().toString());
    }

    @Test
    void withoutHomeOrSluiceConfigThereIsNoFile() {
        assertThat(Configuration.file(Map.of())).isEmpty();
        assertThat(Configuration.file(Map.of("HOME", "/h"))).contains(Path.of("/h/.config/sluice/config.json"));
    }
}
