package dev.sluice.agent.runtime;

import dev.sluice.agent.Assignment;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The {@code docker} command lines the runtime runs, built as argument vectors (never a shell string, so no value is
 * ever re-parsed by a shell). Pure: every line is unit-tested.
 */
public final class DockerCommands {

    public static final String SESSION_LABEL = "sluice.session";
    public static final String KERNEL_LABEL = "sluice.kernel";
    static final String NAME_PREFIX = "sluice-";

    private static final Pattern NAME_SAFE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,200}");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final String docker;
    private final DockerIsolation isolation;

    /**
     * @param docker    the docker program ({@code docker}, or a full path)
     * @param isolation the network, capabilities and pids limit of every session's container
     */
    public DockerCommands(String docker, DockerIsolation isolation) {
        this.docker = docker;
        this.isolation = isolation;
    }

    /** @param docker the docker program ({@code docker}, or a full path); the default isolation */
    public DockerCommands(String docker) {
        this(docker, DockerIsolation.DEFAULTS);
    }

    public DockerCommands() {
        this("docker");
    }

    public DockerIsolation isolation() {
        return isolation;
    }

    /** {@code sluice-<sessionId>}; refuses ids Docker would not accept in a container name. */
    public static String containerName(String sessionId) {
        if (sessionId == null || !NAME_SAFE.matcher(sessionId).matches()) {
            throw new IllegalArgumentException("session id '" + sessionId
                    + "' cannot name a container (letters, digits, '_', '.', '-' only)");
        }
        return NAME_PREFIX + sessionId;
    }

    public List<String> info() {
        return List.of(docker, "info", "--format", "{{.ServerVersion}}");
    }

    public List<String> pull(String image) {
        return List.of(docker, "pull", "--quiet", image);
    }

    /** Succeeds when the image is already on the host (it is then not pulled). */
    public List<String> imagePresent(String image) {
        return List.of(docker, "image", "inspect", "--format", "{{.Id}}", image);
    }

    /**
     * {@code docker create} for an assignment. Environment values are not on this line: they are in
     * {@code envFile} (see {@link #envFile(Map)}), so secrets never show in {@code ps}.
     *
     * @throws IllegalArgumentException for an assignment Docker cannot take (a mount path with ':', a bad slot value)
     */
    public List<String> create(Assignment a, Path envFile) {
        return create(a, envFile, null);
    }

    /**
     * {@code create} with the workload's user given explicitly ({@code --user=<user>}, before the image): the image's
     * default user unless the session says otherwise. Null or blank: none given (Docker's own default, root).
     */
    public List<String> create(Assignment a, Path envFile, String user) {
        List<String> argv = new ArrayList<>(List.of(docker, "create",
                "--name", containerName(a.sessionId()),
                "--label", SESSION_LABEL + "=" + a.sessionId(),
                "--label", KERNEL_LABEL + "=" + a.kernelId()));
        // Never a -p/--publish: nothing of a session is reachable through the host's interfaces.
        argv.addAll(isolation.createArguments(a.sessionId()));
        if (!a.gpus().isEmpty()) {
            // --gpus is read as CSV by the docker CLI: the quotes keep "device=a,b" one field.
            argv.add("--gpus");
            argv.add("\"device=" + String.join(",", a.gpus()) + "\"");
        }
        cpus(a.slots()).ifPresent(c -> {
            argv.add("--cpus");
            argv.add(c);
        });
        memory(a.slots()).ifPresent(m -> {
            argv.add("--memory");
            argv.add(m);
        });
        argv.add("--env-file");
        argv.add(envFile.toString());
        for (Assignment.Mount mount : a.mounts()) {
            argv.add("-v");
            argv.add(volume(mount));
        }
        if (user != null && !user.isBlank()) {
            argv.add("--user=" + user);
        }
        argv.add(a.image());
        a.startupCommand().filter(c -> !c.isBlank()).ifPresent(cmd -> argv.addAll(List.of("sh", "-c", cmd)));
        return argv;
    }

    /**
     * The text of a Docker env file: one {@code NAME=value} a line. Docker reads values verbatim (no quoting), and
     * a line cannot hold a newline, so names must be shell-style and values single-line.
     */
    public static String envFile(Map<String, String> environment) {
        StringBuilder text = new StringBuilder();
        environment.keySet().stream().sorted().forEach(name -> {
            String value = environment.get(name);
            if (!ENV_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("environment variable name '" + name
                        + "' is not valid (letters, digits and '_', not starting with a digit)");
            }
            if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || value.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("environment variable " + name
                        + " has a line break or NUL in its value, which a Docker env file cannot carry");
            }
            text.append(name).append('=').append(value).append('\n');
        });
        return text.toString();
    }

    public List<String> start(String sessionId) {
        return List.of(docker, "start", containerName(sessionId));
    }

    /** Blocks until the container ends and prints its exit code. */
    public List<String> waitFor(String sessionId) {
        return List.of(docker, "wait", containerName(sessionId));
    }

    /** SIGTERM, then SIGKILL after {@code grace} (whole seconds, rounded up). */
    public List<String> stop(String sessionId, Duration grace) {
        long seconds = Math.max(0, (grace.toMillis() + 999) / 1000);
        return List.of(docker, "stop", "-t", Long.toString(seconds), containerName(sessionId));
    }

    public List<String> remove(String sessionId) {
        return List.of(docker, "rm", "-f", containerName(sessionId));
    }

    public List<String> list() {
        return List.of(docker, "ps", "-a", "--no-trunc", "--filter", "label=" + SESSION_LABEL, "--format", "{{json .}}");
    }

    /** One line per container: {@code <id> <status> <exit code>}. */
    public List<String> inspectStates(List<String> containerIds) {
        List<String> argv = new ArrayList<>(List.of(docker, "inspect", "--format",
                "{{.Id}} {{.State.Status}} {{.State.ExitCode}}"));
        argv.addAll(containerIds);
        return argv;
    }

    /** The session's own network: {@code sluice-<sessionId>}, like its container (Docker keeps the two apart). */
    public static String networkName(String sessionId) {
        return containerName(sessionId);
    }

    /**
     * A user-defined bridge for the session, labelled with its id. Containers on different user-defined bridges cannot
     * reach each other (Docker's DOCKER-ISOLATION chains drop traffic between bridges), and a port ever published on
     * it binds to the host's loopback only ({@code host_binding_ipv4}), never its external interfaces.
     */
    public List<String> networkCreate(String sessionId) {
        return List.of(docker, "network", "create", "--driver", "bridge",
                "--label", SESSION_LABEL + "=" + sessionId,
                "--opt", "com.docker.network.bridge.host_binding_ipv4=127.0.0.1",
                networkName(sessionId));
    }

    /** The networks labelled with the session's id (found again by label after an agent restart), one id a line. */
    public List<String> networksOf(String sessionId) {
        containerName(sessionId);
        return List.of(docker, "network", "ls", "--no-trunc", "--filter", "label=" + SESSION_LABEL + "=" + sessionId,
                "--format", "{{.ID}}");
    }

    /** Every network a session left on the host: {@code <id> <session>} a line. */
    public List<String> sessionNetworks() {
        return List.of(docker, "network", "ls", "--no-trunc", "--filter", "label=" + SESSION_LABEL,
                "--format", "{{.ID}} {{.Label \"" + SESSION_LABEL + "\"}}");
    }

    public List<String> networkRemove(List<String> networkIds) {
        List<String> argv = new ArrayList<>(List.of(docker, "network", "rm"));
        argv.addAll(networkIds);
        return argv;
    }

    public List<String> logs(String sessionId, int lines) {
        return List.of(docker, "logs", "--tail", Integer.toString(Math.max(0, lines)), containerName(sessionId));
    }

    /** The image's configuration as JSON (its {@code User} and {@code Labels}, see {@link ImageFacts}). */
    public List<String> imageConfig(String image) {
        return List.of(docker, "image", "inspect", "--format", "{{json .Config}}", image);
    }

    private static Optional<String> cpus(Map<String, String> slots) {
        String cpu = slots.get("cpu");
        if (cpu == null) {
            return Optional.empty();
        }
        BigDecimal amount = decimal("cpu", cpu);
        return amount.signum() > 0 ? Optional.of(amount.stripTrailingZeros().toPlainString()) : Optional.empty();
    }

    private static Optional<String> memory(Map<String, String> slots) {
        String mem = slots.get("mem");
        if (mem == null) {
            return Optional.empty();
        }
        BigDecimal bytes = decimal("mem", mem);
        if (bytes.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException("slot mem must be whole bytes, got '" + mem + "'");
        }
        // Docker refuses limits under 6 MiB; a smaller or zero slot means "no limit set by the scheduler".
        return bytes.compareTo(BigDecimal.valueOf(6L * 1024 * 1024)) >= 0
                ? Optional.of(bytes.toBigInteger().toString()) : Optional.empty();
    }

    private static BigDecimal decimal(String slot, String value) {
        try {
            return new BigDecimal(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("slot " + slot + " is not a decimal number: '" + value + "'");
        }
    }

    private static String volume(Assignment.Mount mount) {
        String host = mount.location();
        String target = mount.path();
        if (host == null || !host.startsWith("/") || host.contains(":")) {
            throw new IllegalArgumentException("mount " + mount.name() + ": host location '" + host
                    + "' must be an absolute path without ':'");
        }
        if (target == null || !target.startsWith("/") || target.contains(":")) {
            throw new IllegalArgumentException("mount " + mount.name() + ": path '" + target
                    + "' must be an absolute path without ':'");
        }
        return host + ":" + target + ("ro".equals(mount.permission()) ? ":ro" : ":rw");
    }
}
