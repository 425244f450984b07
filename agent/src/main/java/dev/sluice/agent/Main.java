package dev.sluice.agent;

import dev.sluice.agent.discovery.Discovery;
import dev.sluice.agent.discovery.HostCapacity;
import dev.sluice.agent.runtime.DockerRuntime;
import dev.sluice.agent.runtime.ProcessRuntime;
import dev.sluice.agent.runtime.SessionRuntime;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** {@code java -jar sluice-agent.jar --config /etc/sluice/agent.properties} */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        Optional<Path> configFile = Optional.empty();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                configFile = Optional.of(Path.of(args[++i]));
            } else if (args[i].equals("--help")) {
                System.out.println("usage: sluice-agent [--config FILE]   (settings: infra/ec2/README.md; env SLUICE_AGENT_<KEY> overrides)");
                return;
            } else {
                System.err.println("unknown argument " + args[i] + " (try --help)");
                System.exit(2);
            }
        }
        AgentConfig config = AgentConfig.load(configFile, System.getenv());
        String agentId = config.agentId().orElseGet(Main::instanceIdOrHostname);
        Capacity capacity = capacity(Discovery.onThisHost().discover(config.declaredSlots()));
        HttpControlPlane controlPlane = new HttpControlPlane(config);
        // Folders a session mounts are copied onto the host around whichever runtime runs it.
        SessionRuntime runtime = new StagingRuntime(runtime(config), new MountStager(controlPlane), config.workDir());
        AgentLoop loop = new AgentLoop(config, agentId, capacity, controlPlane, runtime, Clock.systemUTC());
        Runtime.getRuntime().addShutdownHook(new Thread(loop::halt));
        // The second source of a spot interruption (the first is the control plane's heartbeat answer): the instance's
        // own metadata service, polled on a thread of its own.
        new ImdsPoller(config.imdsEndpoint(), config.imdsPoll(), config.imdsInterval(), loop::interrupted, System.out::println).start();
        System.out.println("{\"level\":\"INFO\",\"event\":\"agent-started\",\"agent\":\"" + agentId + "\",\"group\":\""
                + config.resourceGroup() + "\",\"runtime\":\"" + runtime.name() + "\",\"slots\":\"" + capacity.slots() + "\"}");
        loop.recover();
        loop.run();
    }

    /** What discovery found, with ids for declared GPUs that have no real device behind them (machines without GPUs). */
    static Capacity capacity(HostCapacity found) {
        found.warnings().forEach(w -> System.out.println("{\"level\":\"WARN\",\"event\":\"discovery\",\"message\":\""
                + w.replace('"', '\'') + "\"}"));
        List<String> gpus = new ArrayList<>(found.gpuUuids());
        String declared = found.slots().get("cuda.device");
        int count = declared == null ? 0 : new java.math.BigDecimal(declared).intValue();
        for (int i = gpus.size(); i < count; i++) {
            gpus.add("declared-gpu-" + i);
        }
        return new Capacity(found.slots(), found.computePlugins(), found.architecture(), gpus);
    }

    static SessionRuntime runtime(AgentConfig config) throws java.io.IOException {
        if (config.runtime().equals("process")) {
            if (config.workloadUids().isPresent()) {
                return new ProcessRuntime(config.workDir(), config.workloadUids().get());
            }
            if (!config.singleTenant()) {
                throw new IllegalStateException("runtime=process without workload.uids runs every workload as the agent's own user"
                        + (ProcessRuntime.runningAsRoot() ? " (root)" : "")
                        + ", which can read the agent's credentials and every session's files: set workload.uids (a range of"
                        + " user ids, e.g. 200000-200999, with the agent running as root), or single.tenant=true on a machine"
                        + " whose every session is yours");
            }
            System.out.println("{\"level\":\"WARN\",\"event\":\"single-tenant\",\"message\":\"runtime=process with"
                    + " single.tenant=true: workloads run as the agent's own user and can act as the agent\"}");
            return new ProcessRuntime(config.workDir());
        }
        DockerRuntime docker = DockerRuntime.onThisHost(config.workDir(), config.dockerIsolation(), config.imagePull());
        docker.engineProblem().ifPresent(problem -> {
            throw new IllegalStateException("runtime=docker, but " + problem + " (use runtime=process where there is no Docker)");
        });
        return docker;
    }

    /** The EC2 instance id (IMDSv2), or this host's name off EC2. */
    static String instanceIdOrHostname() {
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
            String token = http.send(HttpRequest.newBuilder(URI.create("http://169.254.169.254/latest/api/token"))
                    .timeout(Duration.ofSeconds(1)).header("X-aws-ec2-metadata-token-ttl-seconds", "60")
                    .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()).body();
            HttpResponse<String> id = http.send(HttpRequest.newBuilder(URI.create("http://169.254.169.254/latest/meta-data/instance-id"))
                    .timeout(Duration.ofSeconds(1)).header("X-aws-ec2-metadata-token", token).build(), HttpResponse.BodyHandlers.ofString());
            if (id.statusCode() == 200 && id.body().startsWith("i-")) {
                return id.body().trim();
            }
        } catch (Exception notOnEc2) {
            // fall through
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9._-]", "-");
        } catch (java.net.UnknownHostException e) {
            return "agent-" + ProcessHandle.current().pid();
        }
    }
}
