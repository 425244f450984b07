package dev.sluice.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** The {@code sluice} command: sessions and resource groups of a Sluice deployment, from a terminal. */
@Command(name = "sluice",
        scope = ScopeType.INHERIT,
        mixinStandardHelpOptions = true,
        versionProvider = Sluice.Version.class,
        usageHelpAutoWidth = true,
        description = {
            "Sessions and resource groups of a Sluice deployment.",
            "",
            "Configuration, first found wins: --endpoint/--token; SLUICE_API/SLUICE_TOKEN; the file $SLUICE_CONFIG "
                + "or ~/.config/sluice/config.json written by 'sluice configure'."},
        subcommands = {
            PsCommand.class,
            SessionCommand.class,
            ResourceGroupCommand.class,
            AgentCommand.class,
            WebhookCommand.class,
            FolderCommand.class,
            TaskCommand.class,
            ConfigureCommand.class,
            VersionCommand.class},
        footerHeading = "%nExit codes:%n",
        footer = {
            "  0  success",
            "  1  the API refused the request or failed (HTTP 4xx/5xx other than 401);",
            "     'error: <message>' is printed on stderr (the message names the field at fault)",
            "  2  usage error, no configuration, the API cannot be reached,",
            "     or the token was refused (401: 'not authenticated: ...')"})
public final class Sluice implements Callable<Integer> {
    static final int EXIT_OK = 0;
    static final int EXIT_REFUSED = 1;
    static final int EXIT_SETUP = 2;

    @Option(names = "--endpoint", scope = ScopeType.INHERIT, paramLabel = "URL",
            description = "The API base URL, .../_aws/execute-api/<apiId>/v1 locally (else SLUICE_API).")
    String endpoint;

    @Option(names = "--token", scope = ScopeType.INHERIT, paramLabel = "TOKEN",
            description = "The bearer token (else SLUICE_TOKEN).")
    String token;

    @Spec
    CommandSpec spec;

    private final Invocation invocation;

    Sluice(Invocation invocation) {
        this.invocation = invocation;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.getenv(), System.out, System.err));
    }

    /** Runs one command line and returns its exit code (0 success, 1 refused by the API, 2 usage or setup). */
    public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        return run(args, Invocation.of(env, out, err));
    }

    static int run(String[] args, Invocation invocation) {
        CommandLine cli = new CommandLine(new Sluice(invocation))
                .setOut(new PrintWriter(invocation.out(), true, StandardCharsets.UTF_8))
                .setErr(new PrintWriter(invocation.err(), true, StandardCharsets.UTF_8))
                .setExitCodeExceptionMapper(e -> EXIT_REFUSED)
                .setParameterExceptionHandler(Sluice::usageError)
                .setExecutionExceptionHandler((e, cmd, parsed) -> failed(e, invocation.err()));
        int code = cli.execute(args);
        invocation.out().flush();
        invocation.err().flush();
        return code;
    }

    /** With no subcommand: the usage, as a usage error. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return EXIT_SETUP;
    }

    Invocation invocation() {
        return invocation;
    }

    /** The API as configured for this run; a {@link NotConfigured} when the endpoint or token is missing. */
    SluiceApi api() {
        return new SluiceApi(Configuration.resolve(endpoint, token, invocation.env()));
    }

    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println("error: " + e.getMessage().replaceFirst("^Error: ", ""));
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        err.println("Run '" + cmd.getCommandSpec().qualifiedName() + " --help' for usage.");
        return EXIT_SETUP;
    }

    private static int failed(Exception e, PrintStream err) {
        if (e instanceof Failure) {
            err.println(((Failure) e).describe());
            return ((Failure) e).exitCode();
        }
        err.println("error: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        return EXIT_REFUSED;
    }

    /** The version this jar was built as. */
    static String version() {
        try (InputStream in = Sluice.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "development";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "development");
        } catch (IOException e) {
            return "development";
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"sluice " + version()};
        }
    }
}
