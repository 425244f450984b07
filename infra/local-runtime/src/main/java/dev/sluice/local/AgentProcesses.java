package dev.sluice.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Starts local agents, each as a process of its own from the agent jar, with the process runtime and declared slots
 * (this machine has no GPU), authenticated by a token of the Cognito group "agents" whose user name is the agent's id,
 * refreshed every 30 minutes. The token is the agent's identity, so no workload may read it: it is kept in
 * {@code secrets/} (mode 0700, each file 0600), and run as root (as in CI) every session runs as a user id of its own
 * (workload.uids) that reaches nothing of the state directory but its own session's files. Not as root, the agent
 * cannot switch users: it runs as a single-tenant machine (its workloads could act as it) and says so.
 *
 * <p>Each agent has a work directory of its own ({@code agents/<id>} under the work root) and a log of its own
 * ({@code agent-logs/<id>.log} in the state directory, readable by its owner only).
 */
final class AgentProcesses implements LocalHypervisor.AgentLauncher, AutoCloseable {
    /** Workloads of the local agents run as these user ids, one per session, when `up` runs as root. */
    static final String WORKLOAD_UIDS = "200000-200999";
    /** How long an agent told to stop may take before it is killed. */
    static final Duration STOP_GRACE = Duration.ofSeconds(3);

    private final Path root;
    private final Path stateDir;
    private final String apiUrl;
    private final LocalUsers users;
    private final Duration heartbeat;
    private final boolean asRoot;
    private final Path workRoot;
    private final Path secrets;
    private final Path logs;
    private final List<String> notes = new ArrayList<>();
    private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "agent-token-refresh");
        t.setDaemon(true);
        return t;
    });

    /** Prepares the state directory for agents (done once: the lock-down, the secrets and logs directories). */
    AgentProcesses(Path root, Path stateDir, String apiUrl, LocalUsers users, Duration heartbeat) throws IOException {
        this.root = root;
        this.stateDir = stateDir;
        this.apiUrl = apiUrl;
        this.users = users;
        this.heartbeat = heartbeat;
        this.asRoot = LocalRuntime.runningAsRoot();
        Path work = stateDir.resolve("agents");
        Files.createDirectories(stateDir);
        this.logs = privateDirectory(stateDir.resolve("agent-logs"));
        if (asRoot) {
            if (!LocalRuntime.othersMayPass(stateDir.toAbsolutePath().getParent())) {
                // A checkout in a private home (/root is 0700): the workloads' directories must be reachable, so the
                // agents work outside it, in a directory of this checkout's own.
                Path shared = Path.of("/var/lib/sluice-local");
                Files.createDirectories(shared);
                Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwx--x--x"));
                work = shared.resolve(Integer.toHexString(stateDir.toAbsolutePath().toString().hashCode())).resolve("agents");
                Files.createDirectories(work);
                Files.setPosixFilePermissions(work.getParent(), PosixFilePermissions.fromString("rwx--x--x"));
                notes.add("agent work:   " + work + " (" + stateDir + " is inside a directory others may not pass)");
            }
            LocalRuntime.lockDown(stateDir, work);
        } else {
            Files.createDirectories(work);
            notes.add("note:         not running as root, so the agents run every workload as your own user:"
                    + " single-tenant (a workload could act as the agent)");
        }
        this.workRoot = work;
        this.secrets = privateDirectory(stateDir.resolve("secrets"));
        Files.deleteIfExists(stateDir.resolve("agent-token")); // where earlier versions left it, readable by all
    }

    private static Path privateDirectory(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        return dir;
    }

    /** Lines for `up` to print about how the agents run here. */
    List<String> notes() {
        return List.copyOf(notes);
    }

    Path log(String agentId) {
        return logs.resolve(agentId + ".log");
    }

    Path workDir(String agentId) {
        return workRoot.resolve(agentId);
    }

    Path logsDir() {
        return logs;
    }

    @Override
    public LocalHypervisor.Hosted start(String agentId, String group, String slots, Map<String, String> extraEnv) throws IOException {
        if (!agentId.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}")) {
            throw new IllegalArgumentException("an agent id must be letters, digits, '.', '_' and '-', not '" + agentId + "'");
        }
        Path workDir = workDir(agentId);
        Files.createDirectories(workDir);
        Path token = secrets.resolve("agent-token-" + agentId);
        LocalRuntime.writePrivately(token, users.token(agentId, List.of("agents")));
        ScheduledFuture<?> refresh = refresher.scheduleAtFixedRate(() -> {
            try {
                LocalRuntime.writePrivately(token, users.token(agentId, List.of("agents")));
            } catch (IOException | RuntimeException e) {
                System.out.println("{\"level\":\"WARN\",\"logger\":\"local-runtime\",\"message\":\"agent token of " + agentId
                        + " not refreshed: " + e.getMessage() + "\"}");
            }
        }, 30, 30, TimeUnit.MINUTES);
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx64m", "-XX:+UseSerialGC", "-jar",
                root.resolve("agent/target/sluice-agent.jar").toString())
                .redirectErrorStream(true).redirectOutput(log(agentId).toFile());
        Map<String, String> env = pb.environment();
        env.putAll(environment(agentId, group, slots, token, workDir));
        env.putAll(extraEnv);
        Process process;
        try {
            process = pb.start();
        } catch (IOException | RuntimeException e) {
            refresh.cancel(false);
            Files.deleteIfExists(token);
            throw e;
        }
        return new Running(process, refresh, token);
    }

    /** The agent's environment (its configuration: see AgentConfig). */
    Map<String, String> environment(String agentId, String group, String slots, Path token, Path workDir) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("SLUICE_AGENT_API_ENDPOINT", apiUrl);
        env.put("SLUICE_AGENT_AGENT_ID", agentId);
        env.put("SLUICE_AGENT_RESOURCE_GROUP", group);
        env.put("SLUICE_AGENT_AUTH", "token");
        env.put("SLUICE_AGENT_AUTH_TOKEN_FILE", token.toString());
        env.put("SLUICE_AGENT_RUNTIME", "process");
        if (asRoot) {
            env.put("SLUICE_AGENT_WORKLOAD_UIDS", WORKLOAD_UIDS);
        } else {
            env.put("SLUICE_AGENT_SINGLE_TENANT", "true");
        }
        env.put("SLUICE_AGENT_SLOTS", slots);
        env.put("SLUICE_AGENT_WORK_DIR", workDir.toString());
        env.put("SLUICE_AGENT_STOP_GRACE", "5s");
        env.put("SLUICE_AGENT_HEARTBEAT_INTERVAL", heartbeat.toMillis() + "ms");
        return env;
    }

    @Override
    public void close() {
        refresher.shutdownNow();
    }

    /** A running agent process: stopped as a shutdown would, its workloads first; killed after {@link #STOP_GRACE}. */
    private static final class Running implements LocalHypervisor.Hosted {
        private final Process process;
        private final ScheduledFuture<?> refresh;
        private final Path token;

        Running(Process process, ScheduledFuture<?> refresh, Path token) {
            this.process = process;
            this.refresh = refresh;
            this.token = token;
        }

        @Override
        public ProcessHandle handle() {
            return process.toHandle();
        }

        @Override
        public void stop() {
            refresh.cancel(false);
            List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
            all.forEach(ProcessHandle::destroy);
            process.destroy();
            try {
                if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                    process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            all.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
            try {
                Files.deleteIfExists(token);
            } catch (IOException e) {
                // the token expires within the hour anyway
            }
        }
    }
}
