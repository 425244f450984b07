package dev.sluice.agent.runtime;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.agent.Assignment;
import dev.sluice.agent.command.Command;
import dev.sluice.agent.command.CommandResult;
import dev.sluice.agent.command.CommandRunner;
import dev.sluice.agent.command.ProcessCommandRunner;
import dev.sluice.protocol.SessionRuntimeFacts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Runs each session as one Docker container named {@code sluice-<sessionId>} and labelled with its session and
 * kernel ids, so an agent restarted mid-session finds its containers again ({@link #discover()}).
 *
 * <p>It drives the {@code docker} CLI rather than a Docker SDK: the agent stays small (no HTTP/unix-socket client
 * and its dependency tree in the jar), and the CLI talks to whatever engine the host is set up with — its socket,
 * context, TLS settings, rootless mode and the NVIDIA runtime ({@code --gpus}) — exactly as an operator's own
 * {@code docker} commands do. Command lines are built by {@link DockerCommands} and run through a
 * {@link CommandRunner}, so the sequencing here is tested with a scripted runner.
 *
 * <p>A start: {@code pulling} → {@code docker image inspect}, and {@code docker pull} when the {@link PullPolicy}
 * says so (an image not on the host yet; by default also a {@code :latest} or untagged one) → {@code preparing} →
 * {@code docker network create} (the session's own bridge, see {@link DockerIsolation}) → {@code docker create}
 * (environment in a 0600 env file, deleted right after) → {@code docker start} → {@code running(containerId, devices)}
 * → a thread blocks in {@code docker wait} → {@code exited(code)}. Any failure before running gives {@code failed}
 * with docker's own message, trimmed, and removes what was made of the session (container, network).
 */
public final class DockerRuntime implements SessionRuntime {

    public static final Duration DEFAULT_PULL_TIMEOUT = Duration.ofMinutes(30);
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_MARGIN = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final CommandRunner runner;
    private final DockerCommands commands;
    private final Path envFileDir;
    private final Duration pullTimeout;
    private final PullPolicy pullPolicy;
    /** Pulls through the engine's API where it listens on a local socket, to follow the pull's progress. */
    private final Optional<EnginePull> engine;
    /** The agent's log: one JSON line a call (standard output in the agent). */
    private final Consumer<String> agentLog;
    /** Sessions this runtime started and still follows: their network is never a left-over, even before a container. */
    private final Set<String> starting = ConcurrentHashMap.newKeySet();
    /** Sessions asked to stop, with their grace, until their workload has ended. */
    private final Map<String, Duration> stopRequested = new ConcurrentHashMap<>();

    /**
     * @param runner      runs the docker commands
     * @param envFileDir  where the short-lived env files are written (readable by the agent's user only)
     * @param pullTimeout how long an image pull may take before the session fails
     */
    public DockerRuntime(CommandRunner runner, DockerCommands commands, Path envFileDir, Duration pullTimeout) {
        this(runner, commands, envFileDir, pullTimeout, PullPolicy.MUTABLE, System.out::println);
    }

    /**
     * @param pullPolicy when an image on the host is pulled again
     * @param agentLog   where warnings go (a JSON line each)
     */
    public DockerRuntime(CommandRunner runner, DockerCommands commands, Path envFileDir, Duration pullTimeout,
            PullPolicy pullPolicy, Consumer<String> agentLog) {
        this(runner, commands, envFileDir, pullTimeout, pullPolicy, agentLog, Optional.empty());
    }

    /** As above, pulling through {@code engine} first (its progress followed), else with {@code docker pull}. */
    public DockerRuntime(CommandRunner runner, DockerCommands commands, Path envFileDir, Duration pullTimeout,
            PullPolicy pullPolicy, Consumer<String> agentLog, Optional<EnginePull> engine) {
        this.engine = engine;
        this.runner = runner;
        this.commands = commands;
        this.envFileDir = envFileDir;
        this.pullTimeout = pullTimeout;
        this.pullPolicy = pullPolicy;
        this.agentLog = agentLog;
    }

    /** The runtime the agent uses: the {@code docker} on PATH, env files under {@code workDir}. */
    public static DockerRuntime onThisHost(Path workDir) {
        return new DockerRuntime(new ProcessCommandRunner(), new DockerCommands(), workDir, DEFAULT_PULL_TIMEOUT,
                PullPolicy.MUTABLE, System.out::println, EnginePull.onThisHost(System.getenv()));
    }

    /** The runtime the agent uses, with the isolation and pull policy of its settings. */
    public static DockerRuntime onThisHost(Path workDir, DockerIsolation isolation, PullPolicy pullPolicy) {
        return new DockerRuntime(new ProcessCommandRunner(), new DockerCommands("docker", isolation), workDir,
                DEFAULT_PULL_TIMEOUT, pullPolicy, System.out::println, EnginePull.onThisHost(System.getenv()));
    }

    /** Whether a Docker engine answers ({@code docker info}); empty when it does, else why not. */
    public Optional<String> engineProblem() {
        CommandResult info = runner.run(Command.of(COMMAND_TIMEOUT, commands.info()));
        return info.succeeded() ? Optional.empty() : Optional.of(info.failureDescription("docker info"));
    }

    @Override
    public String name() {
        return "docker";
    }

    @Override
    public void start(Assignment assignment, Listener listener) {
        String sessionId = assignment.sessionId();
        try {
            DockerCommands.containerName(sessionId);
        } catch (IllegalArgumentException e) {
            listener.failed(e.getMessage());
            return;
        }
        stopRequested.remove(sessionId);
        starting.add(sessionId);
        daemon("docker-start-" + sessionId, () -> {
            try {
                run(assignment, listener);
            } catch (RuntimeException unexpected) {
                failUnexpectedly(sessionId, listener, unexpected);
            } finally {
                starting.remove(sessionId);
            }
        });
    }

    /**
     * A start that broke where nothing expected it (a bug, not docker's answer): what it may have made goes (the
     * container, the session's network) and the session ends failed, as any failed start does; its thread never dies
     * with the session left starting.
     */
    private void failUnexpectedly(String sessionId, Listener listener, RuntimeException unexpected) {
        warn("start-failed", sessionId, "the start broke unexpectedly: " + unexpected);
        try {
            runner.run(Command.of(COMMAND_TIMEOUT, commands.remove(sessionId)));
            removeNetwork(sessionId).ifPresent(failure -> warn("network-left", sessionId, failure));
            removeSignal(sessionId);
        } catch (RuntimeException cleanup) {
            warn("start-cleanup-failed", sessionId, cleanup.toString());
        } finally {
            listener.failed("the start of the container broke unexpectedly: " + unexpected);
        }
    }

    private void run(Assignment a, Listener listener) {
        String sessionId = a.sessionId();
        // What is known of the workload so far, each new fact added to it (the listener hears the whole each time).
        AtomicReference<SessionRuntimeFacts> facts =
                new AtomicReference<>(SessionRuntimeFacts.EMPTY);
        listener.pulling();
        if (!image(a, listener, facts)) {
            return;
        }
        if (stoppedBeforeStart(sessionId, listener)) {
            return;
        }
        Optional<ImageFacts> image = imageFacts(a, listener, facts);
        if (image.isEmpty()) {
            return;
        }
        listener.preparing();
        Optional<String> network = createNetwork(sessionId);
        if (network.isPresent()) {
            listener.failed(network.get());
            return;
        }
        String containerId = null;
        String failure = null;
        Path envFile = null;
        try {
            // The deadline file's directory, bind-mounted read-only: the agent writes the file there at a spot
            // interruption and the workload reads it at SLUICE_DEADLINE_FILE.
            Path signal = Files.createDirectories(signalDir(sessionId));
            try {
                Files.setPosixFilePermissions(signal, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            } catch (UnsupportedOperationException notPosix) {
                // its own defaults stand
            }
            Map<String, String> env = new LinkedHashMap<>(environment(a));
            env.put(dev.sluice.protocol.AgentInterruption.DEADLINE_FILE_ENV, SIGNAL_PATH + "/" + DEADLINE_FILE);
            String envText = DockerCommands.envFile(env);
            envFile = writeEnvFile(envText);
            List<String> create = new java.util.ArrayList<>(commands.create(a, envFile, image.get().user()));
            create.addAll(create.indexOf("--env-file") + 2, List.of("-v", signal.toAbsolutePath() + ":" + SIGNAL_PATH + ":ro"));
            CommandResult created = runner.run(Command.of(COMMAND_TIMEOUT, create));
            if (created.succeeded()) {
                containerId = created.stdout().trim();
            } else {
                failure = created.failureDescription("docker create");
            }
        } catch (IllegalArgumentException e) {
            failure = e.getMessage();
        } catch (IOException e) {
            failure = "could not write the environment file in " + envFileDir + ": " + e.getMessage();
        } finally {
            // Docker copied the values into the container's config at create; the file is not needed a moment longer.
            deleteQuietly(envFile);
        }
        if (failure != null) {
            removeNetwork(sessionId);
            removeSignal(sessionId);
            listener.failed(failure);
            return;
        }
        if (stoppedBeforeStart(sessionId, listener)) {
            runner.run(Command.of(COMMAND_TIMEOUT, commands.remove(sessionId)));
            removeNetwork(sessionId);
            removeSignal(sessionId);
            return;
        }
        CommandResult started = runner.run(Command.of(COMMAND_TIMEOUT, commands.start(sessionId)));
        if (!started.succeeded() && started.stderr().contains("network " + DockerCommands.networkName(sessionId)
                + " not found") && createNetwork(sessionId).isEmpty()) {
            // Removed as a left-over between its creation and the container's (the discovery of another runtime on
            // the same engine; Docker checks the network at start): made again, once.
            started = runner.run(Command.of(COMMAND_TIMEOUT, commands.start(sessionId)));
        }
        if (!started.succeeded()) {
            runner.run(Command.of(COMMAND_TIMEOUT, commands.remove(sessionId)));
            removeNetwork(sessionId);
            removeSignal(sessionId);
            listener.failed(started.failureDescription("docker start"));
            return;
        }
        Duration lateStop = stopRequested.get(sessionId);
        if (lateStop != null) {
            // The stop arrived between the check above and docker start, when docker stop had nothing to stop.
            runner.run(Command.of(lateStop.plus(STOP_MARGIN), commands.stop(sessionId, lateStop)));
        }
        Map<String, Object> devices = new LinkedHashMap<>();
        if (!a.gpus().isEmpty()) {
            devices.put("cuda.device", a.gpus());
        }
        listener.running(containerId, devices);
        follow(sessionId, listener);
    }

    /**
     * Makes sure the image is on the host, pulling it when the {@link PullPolicy} says so. An image that is present
     * but could not be pulled again is used as it is (no registry answers, an outage: the session still runs what the
     * host has), with a warning on the agent's log naming the session, the image and docker's reason.
     *
     * @return false when the session failed (the image is not on the host and could not be pulled)
     */
    private boolean image(Assignment a, Listener listener,
            AtomicReference<SessionRuntimeFacts> facts) {
        CommandResult local = runner.run(Command.of(COMMAND_TIMEOUT, commands.imagePresent(a.image())));
        boolean present = local.succeeded();
        if (!pullPolicy.pulls(a.image(), present)) {
            return true;
        }
        Optional<Boolean> viaEngine = pulledThroughEngine(a, listener, facts);
        if (viaEngine.orElse(false)) {
            return true;
        }
        String reason;
        if (viaEngine.isPresent()) {
            reason = "the pull took longer than " + pullTimeout.toSeconds() + " s"; // not tried again
        } else {
            CommandResult pull = runner.run(Command.of(pullTimeout, commands.pull(a.image())));
            if (pull.succeeded()) {
                return true;
            }
            reason = pull.failureDescription("docker pull " + a.image());
        }
        if (present) {
            warn("image-pull-failed", a.sessionId(), "the image " + a.image() + " could not be pulled again, so the"
                    + " copy already on this host is used (image.pull=" + pullPolicy.name().toLowerCase(Locale.ROOT)
                    + "): " + reason);
            return true;
        }
        listener.failed("the image " + a.image() + " is not on this host and could not be pulled: " + reason);
        return false;
    }

    /**
     * Pulls through the engine's API, following its progress; false when that did not bring the image (no engine
     * socket, an error, credentials only the CLI knows): {@code docker pull} then tries, and its answer decides.
     * True: pulled; false: it ran out of time (not tried again); empty: not pulled this way.
     */
    private Optional<Boolean> pulledThroughEngine(Assignment a, Listener listener,
            AtomicReference<SessionRuntimeFacts> facts) {
        if (engine.isEmpty()) {
            return Optional.empty();
        }
        try {
            boolean pulled = engine.get().pull(a.image(), pullTimeout, progress -> pullProgress(listener, facts, progress))
                    .isEmpty();
            return pulled ? Optional.of(true) : Optional.empty();
        } catch (EnginePull.TimedOut e) {
            return Optional.of(false);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** How far the pull is, as the session's runtime facts. */
    private static void pullProgress(Listener listener,
            AtomicReference<SessionRuntimeFacts> facts, EnginePull.Progress progress) {
        listener.facts(facts.updateAndGet(was -> was.withPull(new SessionRuntimeFacts.PullProgress(
                progress.bytesDone(), progress.bytesTotal(), progress.layersDone(), progress.layersTotal()))));
    }

    /**
     * What the image says of itself ({@code docker image inspect}): its default user, which the container runs as
     * (the session names none of its own), and its service ports, both reported in the session's runtime facts. Empty
     * when the session failed: a malformed {@code ai.backend.service-ports} label, named in the reason.
     */
    private Optional<ImageFacts> imageFacts(Assignment a, Listener listener,
            AtomicReference<SessionRuntimeFacts> facts) {
        CommandResult inspected = runner.run(Command.of(COMMAND_TIMEOUT, commands.imageConfig(a.image())));
        ImageFacts image = new ImageFacts("", List.of()); // not known (inspect failed): Docker's defaults, nothing reported
        try {
            if (inspected.succeeded()) {
                image = ImageFacts.fromConfig(inspected.stdout().trim());
            }
        } catch (IllegalStateException notJson) {
            // an engine that does not print .Config as JSON: the same defaults
        } catch (IllegalArgumentException e) {
            listener.failed("the image " + a.image() + " cannot run: " + e.getMessage());
            return Optional.empty();
        }
        ImageFacts known = image;
        listener.facts(facts.updateAndGet(was -> was.withImage(known.user(), known.servicePorts())));
        return Optional.of(known);
    }

    /** The session's own bridge (none with {@code docker.network=none}); empty when it exists, else why not. */
    private Optional<String> createNetwork(String sessionId) {
        if (commands.isolation().network() == DockerIsolation.Network.NONE) {
            return Optional.empty();
        }
        CommandResult created = runner.run(Command.of(COMMAND_TIMEOUT, commands.networkCreate(sessionId)));
        // Already there: an agent restarted between creating it and the container, or a start given again.
        if (created.succeeded() || created.stderr().contains("already exists")) {
            return Optional.empty();
        }
        return Optional.of(created.failureDescription("docker network create"));
    }

    /** Removes the networks labelled with the session's id; the text of a failure, if one could not be removed. */
    private Optional<String> removeNetwork(String sessionId) {
        CommandResult listed = runner.run(Command.of(COMMAND_TIMEOUT, commands.networksOf(sessionId)));
        if (!listed.succeeded()) {
            return Optional.of(listed.failureDescription("docker network ls"));
        }
        List<String> ids = listed.stdout().lines().map(String::trim).filter(l -> !l.isEmpty()).toList();
        if (ids.isEmpty()) {
            return Optional.empty();
        }
        CommandResult removed = runner.run(Command.of(COMMAND_TIMEOUT, commands.networkRemove(ids)));
        if (!removed.succeeded() && !removed.stderr().contains("not found")) {
            return Optional.of(removed.failureDescription("docker network rm"));
        }
        return Optional.empty();
    }

    private void warn(String event, String sessionId, String message) {
        Map<String, String> line = new LinkedHashMap<>();
        line.put("level", "WARN");
        line.put("event", event);
        line.put("session", sessionId);
        line.put("message", message);
        try {
            agentLog.accept(JSON.writeValueAsString(line));
        } catch (JsonProcessingException e) {
            agentLog.accept(message);
        }
    }

    /**
     * The session's environment and what Sluice tells every workload, as the process runtime does: its session and
     * kernel ids, its cluster role and index, and where each folder is mounted (the path in the container).
     */
    static Map<String, String> environment(Assignment a) {
        Map<String, String> env = new LinkedHashMap<>(a.environment());
        env.put("SLUICE_SESSION_ID", a.sessionId());
        env.put("SLUICE_KERNEL_ID", a.kernelId());
        env.put("SLUICE_CLUSTER_ROLE", a.clusterRole());
        env.put("SLUICE_CLUSTER_INDEX", Integer.toString(a.clusterIndex()));
        for (Assignment.Mount m : a.mounts()) {
            env.put("SLUICE_MOUNT_" + m.name().toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_"), m.path());
        }
        return env;
    }

    private boolean stoppedBeforeStart(String sessionId, Listener listener) {
        if (stopRequested.remove(sessionId) != null) {
            listener.failed("stopped before its container started");
            return true;
        }
        return false;
    }

    /** Blocks in {@code docker wait}; when that breaks (engine restarted), reads the exit code from inspect. */
    private void follow(String sessionId, Listener listener) {
        CommandResult waited = runner.run(Command.unlimited(commands.waitFor(sessionId)));
        OptionalInt code = waited.succeeded() ? exitCode(waited.stdout()) : OptionalInt.empty();
        if (code.isEmpty()) {
            code = inspectedExitCode(sessionId);
        }
        stopRequested.remove(sessionId);
        if (code.isPresent()) {
            listener.exited(code.getAsInt());
        } else {
            listener.failed("lost track of the container: " + waited.failureDescription("docker wait"));
        }
    }

    private OptionalInt inspectedExitCode(String sessionId) {
        CommandResult state = runner.run(Command.of(COMMAND_TIMEOUT,
                commands.inspectStates(List.of(DockerCommands.containerName(sessionId)))));
        if (!state.succeeded()) {
            return OptionalInt.empty();
        }
        String[] parts = state.stdout().trim().split("\\s+");
        if (parts.length == 3 && !parts[1].equals("running") && !parts[1].equals("created")) {
            return exitCode(parts[2]);
        }
        return OptionalInt.empty();
    }

    /**
     * Returns when {@code docker stop} does: the container has ended (after SIGTERM, or the kill at the end of the
     * grace), so what the caller does next — such as removing it — never cuts the grace short. The wait thread reports
     * {@code exited}. The agent's loop calls it from a thread of its own ({@code StopRunner}).
     */
    @Override
    public void stop(String sessionId, Duration grace) {
        DockerCommands.containerName(sessionId);
        // Remembered until the workload ends, so a start still pulling or creating does not go on to run it.
        stopRequested.put(sessionId, grace);
        runner.run(Command.of(grace.plus(STOP_MARGIN), commands.stop(sessionId, grace)));
    }

    /**
     * The containers labelled {@code sluice.session}, running or ended, with exit codes from {@code docker inspect}.
     *
     * @throws IllegalStateException when Docker does not answer: "no workloads" would be a wrong answer then
     */
    @Override
    public List<Workload> discover() {
        CommandResult listed = runner.run(Command.of(COMMAND_TIMEOUT, commands.list()));
        if (!listed.succeeded()) {
            throw new IllegalStateException(listed.failureDescription("docker ps"));
        }
        Map<String, String> sessionByContainer = new LinkedHashMap<>();
        for (String line : listed.stdout().split("\\R")) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode row;
            try {
                row = JSON.readTree(line);
            } catch (IOException e) {
                throw new IllegalStateException("docker ps printed a line that is not JSON: " + line, e);
            }
            String session = labels(row.path("Labels").asText()).get(DockerCommands.SESSION_LABEL);
            if (session != null) {
                sessionByContainer.put(row.path("ID").asText(), session);
            }
        }
        removeLeftOverNetworks(new HashSet<>(sessionByContainer.values()));
        if (sessionByContainer.isEmpty()) {
            return List.of();
        }
        CommandResult inspected = runner.run(Command.of(COMMAND_TIMEOUT,
                commands.inspectStates(new ArrayList<>(sessionByContainer.keySet()))));
        Map<String, String[]> states = new HashMap<>();
        for (String line : inspected.stdout().split("\\R")) {
            String[] parts = line.trim().split("\\s+");
            if (parts.length == 3) {
                states.put(parts[0], parts);
            }
        }
        List<Workload> workloads = new ArrayList<>();
        sessionByContainer.forEach((id, session) -> {
            String[] state = states.entrySet().stream()
                    .filter(e -> e.getKey().startsWith(id) || id.startsWith(e.getKey()))
                    .map(Map.Entry::getValue).findFirst().orElse(null);
            if (state == null) {
                return; // removed between ps and inspect
            }
            boolean running = state[1].equals("running") || state[1].equals("restarting") || state[1].equals("paused");
            boolean ended = state[1].equals("exited") || state[1].equals("dead");
            OptionalInt code = ended ? exitCode(state[2]) : OptionalInt.empty();
            workloads.add(new Workload(session, running, code, Optional.of(state[0])));
        });
        return workloads;
    }

    /**
     * Removes session networks whose container is gone (an agent stopped between removing the container and its
     * network, or between creating the network and the container) — except those of starts running in this agent.
     * Best effort: what cannot be removed now is named on the agent's log and tried again at the next discovery.
     */
    private void removeLeftOverNetworks(Set<String> sessionsWithContainers) {
        CommandResult listed = runner.run(Command.of(COMMAND_TIMEOUT, commands.sessionNetworks()));
        if (!listed.succeeded()) {
            warn("networks-left", "", listed.failureDescription("docker network ls"));
            return;
        }
        List<String> leftOver = new ArrayList<>();
        for (String line : listed.stdout().split("\\R")) {
            String[] parts = line.trim().split("\\s+", 2);
            if (parts.length == 2 && !sessionsWithContainers.contains(parts[1]) && !starting.contains(parts[1])) {
                leftOver.add(parts[0]);
            }
        }
        if (leftOver.isEmpty()) {
            return;
        }
        CommandResult removed = runner.run(Command.of(COMMAND_TIMEOUT, commands.networkRemove(leftOver)));
        if (!removed.succeeded()) {
            warn("networks-left", "", removed.failureDescription("docker network rm"));
        }
    }

    @Override
    public void reattach(String sessionId, Listener listener) {
        DockerCommands.containerName(sessionId);
        daemon("docker-wait-" + sessionId, () -> follow(sessionId, listener));
    }

    @Override
    public Optional<Path> deadlineFile(String sessionId) {
        return Optional.of(signalDir(sessionId).resolve(DEADLINE_FILE));
    }

    /** Where, in the container, the deadline file's directory is mounted (read-only). */
    public static final String SIGNAL_PATH = "/run/sluice";
    static final String DEADLINE_FILE = "deadline";

    private Path signalDir(String sessionId) {
        return envFileDir.resolve("signal").resolve(sessionId);
    }

    @Override
    public void remove(String sessionId) {
        removeSignal(sessionId);
        removeContainer(sessionId);
    }

    /** The session's deadline file and its directory (and the signal root once no session has one). */
    private void removeSignal(String sessionId) {
        Path signal = signalDir(sessionId);
        try {
            Files.deleteIfExists(signal.resolve(DEADLINE_FILE));
            Files.deleteIfExists(signal);
            Files.deleteIfExists(signal.getParent());
        } catch (IOException | RuntimeException e) {
            // best effort (another session's directory keeps the root): an empty directory left behind harms nothing
        }
    }

    private void removeContainer(String sessionId) {
        stopRequested.remove(sessionId);
        CommandResult removed = runner.run(Command.of(COMMAND_TIMEOUT, commands.remove(sessionId)));
        if (!removed.succeeded() && !removed.stderr().contains("No such container")) {
            throw new IllegalStateException(removed.failureDescription("docker rm"));
        }
        removeNetwork(sessionId).ifPresent(failure -> {
            throw new IllegalStateException(failure);
        });
    }

    @Override
    public Optional<String> logs(String sessionId, int lines) {
        CommandResult logs = runner.run(Command.of(COMMAND_TIMEOUT, commands.logs(sessionId, lines)).mergingStderr());
        return logs.succeeded() ? Optional.of(logs.stdout()) : Optional.empty();
    }

    private Path writeEnvFile(String text) throws IOException {
        Files.createDirectories(envFileDir);
        Path file = Files.createTempFile(envFileDir, "sluice-env-", ".list",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }

    private static void deleteQuietly(Path file) {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // Left behind only if the directory turned unwritable; the file is 0600 and the next start uses a new one.
        }
    }

    private static Map<String, String> labels(String text) {
        Map<String, String> labels = new HashMap<>();
        for (String pair : text.split(",")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                labels.put(pair.substring(0, eq), pair.substring(eq + 1));
            }
        }
        return labels;
    }

    private static OptionalInt exitCode(String text) {
        try {
            return OptionalInt.of(Integer.parseInt(text.trim()));
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    private static void daemon(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        thread.start();
    }
}
