package dev.sluice.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * The agent API over HTTPS with the JDK's HTTP client. On AWS every request is signed (SigV4, service
 * {@code execute-api}) with the instance role's credentials from the default chain (IMDS); locally it carries the
 * agent's bearer token, read from a file each time so a refreshed token is picked up.
 */
public final class HttpControlPlane implements ControlPlaneClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> RESTRICTED = Set.of("host", "content-length", "connection", "expect", "upgrade");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final AgentConfig config;
    private final DefaultCredentialsProvider credentials;
    private final AwsV4HttpSigner signer;

    public HttpControlPlane(AgentConfig config) {
        this.config = config;
        boolean iam = config.auth().equals("iam");
        this.credentials = iam ? DefaultCredentialsProvider.builder().build() : null;
        this.signer = iam ? AwsV4HttpSigner.create() : null;
        if (!iam) {
            refuseShared(config.tokenFile().orElseThrow());
        }
    }

    /**
     * The token is the agent's identity: whoever reads it can act as the agent (fetch any hosted session's folders).
     * A token file that anyone but its owner may read is refused, not used.
     */
    static void refuseShared(Path token) {
        try {
            Set<java.nio.file.attribute.PosixFilePermission> mode = Files.getPosixFilePermissions(token);
            if (mode.stream().anyMatch(p -> p.name().startsWith("GROUP_") || p.name().startsWith("OTHERS_"))) {
                throw new IllegalStateException("auth.token.file " + token + " may be read by others (mode "
                        + java.nio.file.attribute.PosixFilePermissions.toString(mode) + "); make it its owner's alone: chmod 600");
            }
        } catch (java.io.IOException | UnsupportedOperationException unreadable) {
            // Not there yet (written by whoever refreshes it) or not a POSIX file system: checked no further.
        }
    }

    @Override
    public Reply heartbeat(Map<String, Object> body) {
        return send("POST", "/agent/heartbeat", body);
    }

    @Override
    public Reply putLogs(String sessionId, String text) {
        return send("PUT", "/agent/sessions/" + sessionId + "/logs", Map.of("text", text));
    }

    @Override
    public Reply status(String sessionId, Map<String, Object> step) {
        return send("POST", "/agent/sessions/" + sessionId + "/status", step);
    }

    @Override
    public Reply mountFiles(String sessionId, String mount, Optional<String> cursor) {
        return send("GET", "/agent/sessions/" + sessionId + "/mounts/" + encode(mount) + "/files"
                + cursor.map(c -> "?cursor=" + encode(c)).orElse(""), null);
    }

    @Override
    public Reply mountUpload(String sessionId, String mount, String path, long size) {
        return send("POST", "/agent/sessions/" + sessionId + "/mounts/" + encode(mount) + "/uploads", Map.of("path", path, "size", size));
    }

    private static String encode(String s) {
        return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** One call; {@code body} null sends none (a GET). */
    private Reply send(String method, String path, Object body) {
        try {
            String json = body == null ? "" : JSON.writeValueAsString(body);
            URI uri = URI.create(config.apiEndpoint() + path);
            HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(15))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
            if (body != null) {
                b.header("Content-Type", "application/json");
            }
            if (signer != null) {
                sign(method, uri, json, body != null).forEach((name, values) -> {
                    if (!RESTRICTED.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                        values.forEach(v -> b.header(name, v));
                    }
                });
            } else {
                b.header("Authorization", "Bearer " + Files.readString(config.tokenFile().orElseThrow()).trim());
            }
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode node;
            try {
                node = r.body().isBlank() ? NullNode.getInstance() : JSON.readTree(r.body());
            } catch (IOException notJson) {
                node = NullNode.getInstance();
            }
            return new Reply(r.statusCode(), node);
        } catch (IOException e) {
            return new Reply(0, JSON.getNodeFactory().textNode(e.getClass().getSimpleName() + ": " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Reply(0, NullNode.getInstance());
        }
    }

    private Map<String, java.util.List<String>> sign(String method, URI uri, String body, boolean json) {
        SdkHttpFullRequest.Builder builder = SdkHttpFullRequest.builder().uri(uri).method(SdkHttpMethod.fromValue(method));
        if (json) {
            builder.putHeader("Content-Type", "application/json");
        }
        SdkHttpRequest request = builder.build();
        AwsCredentialsIdentity identity = credentials.resolveIdentity().join();
        return signer.sign(r -> r.identity(identity).request(request)
                        .payload(ContentStreamProvider.fromString(body, StandardCharsets.UTF_8))
                        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "execute-api")
                        .putProperty(AwsV4HttpSigner.REGION_NAME, config.region()))
                .request().headers();
    }

    /** Where a token-mode agent reads its token; exposed for the local runtime, which refreshes it. */
    public static Path tokenFile(AgentConfig config) {
        return config.tokenFile().orElseThrow();
    }
}
