package dev.sluice.agent;

import dev.sluice.agent.runtime.DockerIsolation;
import dev.sluice.agent.runtime.ProcessRuntime;
import dev.sluice.agent.runtime.PullPolicy;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The agent's settings: a properties file ({@code --config}), each key overridable by an environment variable
 * {@code SLUICE_AGENT_<KEY>} (upper case, dots as underscores). See infra/ec2/README.md for the keys.
 */
public record AgentConfig(
        String apiEndpoint,
        Optional<String> agentId,
        String resourceGroup,
        String auth,
        Optional<Path> tokenFile,
        String region,
        Duration heartbeatInterval,
        String runtime,
        Map<String, String> declaredSlots,
        Path workDir,
        Duration stopGrace,
        int logLines,
        Optional<ProcessRuntime.Uids> workloadUids,
        boolean singleTenant,
        Duration reportCoalesce,
        DockerIsolation dockerIsolation,
        PullPolicy imagePull,
        String imdsEndpoint,
        String imdsPoll,
        Duration imdsInterval,
        Duration interruptionSaveTime) {

    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)?");

    public static AgentConfig load(Optional<Path> file, Map<String, String> env) throws IOException {
        Properties p = new Properties();
        if (file.isPresent()) {
            try (Reader r = Files.newBufferedReader(file.get())) {
                p.load(r);
            }
        }
        Map<String, String> values = new LinkedHashMap<>();
        p.forEach((k, v) -> values.put(k.toString(), v.toString().trim()));
        env.forEach((k, v) -> {
            if (k.startsWith("SLUICE_AGENT_")) {
                values.put(k.substring("SLUICE_AGENT_".length()).toLowerCase(Locale.ROOT).replace('_', '.'), v.trim());
            }
        });
        return from(values);
    }

    static AgentConfig from(Map<String, String> v) {
        String endpoint = require(v, "api.endpoint");
        if (!endpoint.startsWith("https://") && !endpoint.startsWith("http://127.0.0.1") && !endpoint.startsWith("http://localhost")) {
            throw new IllegalArgumentException("api.endpoint must be https (http only to this machine): " + endpoint);
        }
        String auth = v.getOrDefault("auth", "iam");
        if (!auth.equals("iam") && !auth.equals("token")) {
            throw new IllegalArgumentException("auth must be iam or token, not " + auth);
        }
        Optional<Path> tokenFile = Optional.ofNullable(v.get("auth.token.file")).filter(s -> !s.isBlank()).map(Path::of);
        if (auth.equals("token") && tokenFile.isEmpty()) {
            throw new IllegalArgumentException("auth=token needs auth.token.file");
        }
        String runtime = v.getOrDefault("runtime", "docker");
        if (!runtime.equals("docker") && !runtime.equals("process")) {
            throw new IllegalArgumentException("runtime must be docker or process, not " + runtime);
        }
        int logLines = Integer.parseInt(v.getOrDefault("log.lines", "500"));
        if (logLines < 1 || logLines > 10_000) {
            throw new IllegalArgumentException("log.lines must be 1..10000");
        }
        return new AgentConfig(endpoint.replaceAll("/+$", ""),
                Optional.ofNullable(v.get("agent.id")).filter(s -> !s.isBlank()),
                require(v, "resource.group"), auth, tokenFile,
                v.getOrDefault("aws.region", Optional.ofNullable(System.getenv("AWS_REGION")).orElse("us-east-1")),
                duration("heartbeat.interval", v.getOrDefault("heartbeat.interval", "20s")),
                runtime, slots(v.getOrDefault("slots", "")),
                Path.of(v.getOrDefault("work.dir", "/var/lib/sluice-agent")),
                duration("stop.grace", v.getOrDefault("stop.grace", "10s")), logLines,
                Optional.ofNullable(v.get("workload.uids")).filter(s -> !s.isBlank()).map(ProcessRuntime.Uids::parse),
                bool("single.tenant", v.getOrDefault("single.tenant", "false")),
                duration("report.coalesce", v.getOrDefault("report.coalesce", "1s")),
                dockerIsolation(v),
                PullPolicy.parse(v.getOrDefault("image.pull", "mutable")),
                imdsEndpoint(v.getOrDefault("imds.endpoint", "http://169.254.169.254")),
                imdsPoll(v.getOrDefault("imds.poll", "auto")),
                duration("imds.interval", v.getOrDefault("imds.interval", "5s")),
                duration("interruption.save.time", v.getOrDefault("interruption.save.time", "30s")));
    }

    /** {@code docker.network}, {@code docker.cap.add}, {@code docker.pids.limit}: see the README (Docker runtime). */
    private static DockerIsolation dockerIsolation(Map<String, String> v) {
        String pids = v.getOrDefault("docker.pids.limit", Long.toString(DockerIsolation.DEFAULT_PIDS_LIMIT));
        long pidsLimit;
        try {
            pidsLimit = Long.parseLong(pids.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("docker.pids.limit must be a whole number, not " + pids);
        }
        return new DockerIsolation(
                DockerIsolation.Network.parse(v.getOrDefault("docker.network", "session")),
                DockerIsolation.capabilities(v.getOrDefault("docker.cap.add",
                        String.join(",", DockerIsolation.MINIMUM_CAPABILITIES))),
                pidsLimit);
    }

    /** {@code imds.endpoint}: the instance metadata service's base URL (a local stand-in's in tests and locally). */
    private static String imdsEndpoint(String text) {
        if (!text.startsWith("http://") && !text.startsWith("https://")) {
            throw new IllegalArgumentException("imds.endpoint must be an http(s) URL such as http://169.254.169.254, not " + text);
        }
        return text.replaceAll("/+$", "");
    }

    /**
     * {@code imds.poll}: {@code auto} (poll spot/instance-action when the metadata service answers the token request,
     * i.e. on EC2 or with a local stand-in), {@code on} (always; keep trying) or {@code off}.
     */
    private static String imdsPoll(String text) {
        if (!text.equals("auto") && !text.equals("on") && !text.equals("off")) {
            throw new IllegalArgumentException("imds.poll must be auto, on or off, not " + text);
        }
        return text;
    }

    private static boolean bool(String key, String text) {
        if (!text.equals("true") && !text.equals("false")) {
            throw new IllegalArgumentException(key + " must be true or false, not " + text);
        }
        return text.equals("true");
    }

    private static String require(Map<String, String> v, String key) {
        String value = v.get(key);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(key + " is required");
        }
        return value;
    }

    static Duration duration(String key, String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(key + " must be a duration such as 500ms, 10s or 2m, not " + text);
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        switch (unit) {
            case "ms": return Duration.ofMillis(n);
            case "m": return Duration.ofMinutes(n);
            case "h": return Duration.ofHours(n);
            default: return Duration.ofSeconds(n);
        }
    }

    /** {@code cuda.device=2,mem=64g}: declared slots that replace what discovery finds. */
    static Map<String, String> slots(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String part : text.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            int eq = part.indexOf('=');
            if (eq <= 0 || eq == part.length() - 1) {
                throw new IllegalArgumentException("slots must look like cuda.device=2,mem=64g, not " + text);
            }
            out.put(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
        }
        return out;
    }
}
