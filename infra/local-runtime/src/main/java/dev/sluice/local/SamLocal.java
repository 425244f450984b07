package dev.sluice.local;

import dev.sluice.adapters.aws.AwsClients;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;
import software.amazon.awssdk.services.cloudformation.model.StackResource;

/**
 * What {@code sam local invoke} and {@code sam local start-api} need to run the stack's functions against the emulator:
 * an {@code --env-vars} file made from the deployed stack, and a way for the functions' containers to reach the emulator.
 *
 * <p>The containers run on Docker's default bridge network, and the emulator listens on the host's loopback only, so a
 * {@link Relay} listens on the bridge's gateway address (the host as the containers see it) and forwards to the
 * emulator. The env-vars file gives every function the environment the stack gave it, but with the emulator at the
 * relay's address: the AWS SDK's {@code aws.endpointUrl} system property through {@code JAVA_TOOL_OPTIONS} (SAM passes
 * only variables the template declares, and the template declares no {@code AWS_ENDPOINT_URL}), and the Cognito keys
 * ({@code JWKS_URL}) where the emulator publishes them. {@code MINISTACK_LAMBDA_PROXY_URL} is left out: it is for the
 * emulator, never read by a function.
 */
public final class SamLocal {
    private SamLocal() {
    }

    /**
     * The {@code --env-vars} content for the deployed stack {@code stack}: each function's environment, keyed by its
     * logical id in template.yaml (how SAM names functions), with the emulator at {@code emulatorForContainers}.
     */
    public static Map<String, Map<String, String>> envVars(LocalDeployer.DeployedStack stack, String emulatorForContainers) {
        Map<String, String> logicalIds = new LinkedHashMap<>();
        try (CloudFormationClient cf = CloudFormationClient.builder().httpClient(AwsClients.httpClient()).build()) {
            for (StackResource r : cf.describeStackResources(b -> b.stackName(stack.name())).stackResources()) {
                if ("AWS::Lambda::Function".equals(r.resourceType())) {
                    logicalIds.put(r.physicalResourceId(), r.logicalResourceId());
                }
            }
        }
        String jwks = emulatorForContainers + "/" + stack.outputs().get("UserPoolId") + "/.well-known/jwks.json";
        Map<String, Map<String, String>> out = new TreeMap<>();
        stack.functions().forEach((name, binding) -> {
            String logicalId = logicalIds.get(name);
            if (logicalId == null) {
                throw new IllegalStateException("function " + name + " is not a resource of stack " + stack.name());
            }
            Map<String, String> env = new TreeMap<>(binding.environment());
            env.remove("MINISTACK_LAMBDA_PROXY_URL");
            env.put("JWKS_URL", jwks);
            String options = env.getOrDefault("JAVA_TOOL_OPTIONS", "").trim();
            env.put("JAVA_TOOL_OPTIONS", (options + " -Daws.endpointUrl=" + emulatorForContainers).trim());
            out.put(logicalId, env);
        });
        return out;
    }

    /**
     * Writes {@code dir/template.yaml}: template.yaml with the functions' code as a directory, the function jar unpacked
     * once into {@code dir/code} (again only when the jar changed), and the other relative paths made absolute.
     * {@code sam local} would otherwise unzip the jar's 12,000 files for every invocation and delete them after, which
     * took about 50 s of a 66 s invoke here; from a directory it mounts the code into the container as it is.
     */
    public static Path template(Path root, Path dir) throws IOException {
        Path jar = root.resolve("functions/target/sluice-functions-lambda.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: build it first (mvn -DskipTests package)");
        }
        Path code = dir.resolve("code");
        Path stamp = dir.resolve("code.stamp");
        String jarStamp = Files.size(jar) + " " + Files.getLastModifiedTime(jar).toMillis();
        if (!Files.exists(stamp) || !Files.readString(stamp).equals(jarStamp)) {
            deleteTree(code);
            Files.createDirectories(code);
            try (ZipFile zip = new ZipFile(jar.toFile())) {
                for (ZipEntry entry : java.util.Collections.list(zip.entries())) {
                    Path target = code.resolve(entry.getName()).normalize();
                    if (!target.startsWith(code)) {
                        throw new IOException("jar entry outside the code directory: " + entry.getName());
                    }
                    if (entry.isDirectory()) {
                        Files.createDirectories(target);
                    } else {
                        Files.createDirectories(target.getParent());
                        try (InputStream in = zip.getInputStream(entry)) {
                            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
            }
            Files.writeString(stamp, jarStamp);
        }
        String text = Files.readString(root.resolve("template.yaml"));
        if (!text.contains(LocalDeployer.LOCAL_CODE_URI)) {
            throw new IllegalStateException("template.yaml no longer has '" + LocalDeployer.LOCAL_CODE_URI + "' in Globals");
        }
        text = text.replace(LocalDeployer.LOCAL_CODE_URI, "CodeUri: " + code.toAbsolutePath())
                .replaceAll("(?m)^(\\s*DefinitionUri: )(?!/)(\\S+)$", "$1" + java.util.regex.Matcher.quoteReplacement(root.toAbsolutePath() + "/") + "$2");
        Path template = dir.resolve("template.yaml");
        Files.writeString(template, "# Written by dev.sluice.local.SamLocal from ../template.yaml for sam local: the code as a directory.\n" + text);
        return template;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (java.util.stream.Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** The address of the host on Docker's default bridge network (its gateway), as {@code docker network inspect} says. */
    public static String dockerBridgeGateway() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("docker", "network", "inspect", "bridge", "--format", "{{(index .IPAM.Config 0).Gateway}}")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.waitFor() != 0 || out.isEmpty()) {
            throw new IllegalStateException("could not read the Docker bridge network's gateway (docker network inspect bridge): " + out);
        }
        return out;
    }

    /**
     * A TCP relay: accepts on {@code listen} and copies bytes both ways to {@code target}, a connection at a time each
     * on two daemon threads, until closed.
     */
    public static final class Relay implements AutoCloseable {
        private final ServerSocket server;
        private final InetSocketAddress target;

        private Relay(ServerSocket server, InetSocketAddress target) {
            this.server = server;
            this.target = target;
        }

        /** Listens on {@code host:port} (port 0: a free one) and forwards to {@code target}. */
        public static Relay start(String host, int port, InetSocketAddress target) throws IOException {
            ServerSocket server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(InetAddress.getByName(host), port), 128);
            Relay relay = new Relay(server, target);
            Thread accept = new Thread(relay::acceptLoop, "sam-relay-accept");
            accept.setDaemon(true);
            accept.start();
            return relay;
        }

        public String host() {
            return server.getInetAddress().getHostAddress();
        }

        public int port() {
            return server.getLocalPort();
        }

        /** The relay's address as a URL, as the containers use it. */
        public String url() {
            return "http://" + host() + ":" + port();
        }

        private void acceptLoop() {
            while (!server.isClosed()) {
                try {
                    Socket in = server.accept();
                    Socket out = new Socket();
                    try {
                        out.connect(target, 5_000);
                    } catch (IOException unreachable) {
                        in.close();
                        out.close();
                        continue;
                    }
                    pipe(in, out);
                    pipe(out, in);
                } catch (IOException closed) {
                    return;
                }
            }
        }

        private static void pipe(Socket from, Socket to) {
            Thread t = new Thread(() -> {
                try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                    in.transferTo(out);
                } catch (IOException gone) {
                    // the other side closed: close both below
                } finally {
                    try {
                        from.close();
                        to.close();
                    } catch (IOException ignored) {
                        // already closed
                    }
                }
            }, "sam-relay-pipe");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
