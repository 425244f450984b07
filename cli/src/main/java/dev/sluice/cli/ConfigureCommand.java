package dev.sluice.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code sluice configure}: remembers the endpoint and token in the configuration file (mode 600). */
@Command(name = "configure", description = {
    "Save the endpoint and token for the next commands.",
    "Writes --endpoint URL and --token TOKEN to $SLUICE_CONFIG or ~/.config/sluice/config.json, readable by you only "
        + "(mode 600). Either may be given alone to change just that one."})
final class ConfigureCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Sluice root = (Sluice) spec.root().userObject();
        if (root.endpoint == null && root.token == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Give --endpoint URL, --token TOKEN or both.");
        }
        Invocation invocation = root.invocation();
        Path file = Configuration.file(invocation.env()).orElseThrow(() -> new NotConfigured(
                "nowhere to save the configuration: set HOME or SLUICE_CONFIG"));
        Configuration.Stored before = Configuration.read(file);
        Optional<String> endpoint = root.endpoint != null
                ? Optional.of(Configuration.checkedEndpoint(root.endpoint)) : before.endpoint();
        Optional<String> token = root.token != null ? Optional.of(root.token.trim()) : before.token();
        Configuration.write(file, new Configuration.Stored(endpoint, token));
        invocation.out().println("saved to " + file + (token.isPresent() ? " (readable by you only)" : ""));
        return Sluice.EXIT_OK;
    }
}
