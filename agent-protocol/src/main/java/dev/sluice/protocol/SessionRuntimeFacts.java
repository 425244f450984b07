package dev.sluice.protocol;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * What the agent reports about a session's workload on its host, beyond its status: defined once, here, and used as
 * it is by the agent (which fills it in while it pulls, prepares and runs), by the control plane's core (the session
 * keeps the latest), its store (one attribute, this record's JSON), the session view ({@code runtime} in
 * {@code GET /sessions/{id}}) and the events' {@code detail.runtime}. Its own mapping is the only one: no other class
 * names its fields, so a new field is this record's component plus its line in the OpenAPI document's
 * {@code SessionRuntimeFacts} schema (a contract test holds the two equal).
 *
 * <p>Empty values are left out of the JSON ({@code {}} when nothing is known), and unknown properties are ignored when
 * read: an older control plane's item, or a newer agent's report, still reads.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SessionRuntimeFacts(PullProgress pull, String user, java.util.List<ServicePort> servicePorts) {

    /** Nothing known (an old agent, an old item, a session not started yet). */
    public static final SessionRuntimeFacts EMPTY = new SessionRuntimeFacts(null, null, null);

    /**
     * @param user         the user the workload runs as: the image's default user ({@code USER}, Docker's
     *                     {@code Config.User}, e.g. {@code work} or {@code 1000:1000}); empty when the image names none
     * @param servicePorts the services the image offers, from its {@code ai.backend.service-ports} label (Docker)
     */
    public SessionRuntimeFacts {
        user = user == null ? "" : user;
        servicePorts = servicePorts == null ? java.util.List.of() : java.util.List.copyOf(servicePorts);
    }

    /**
     * A service the image offers on container ports, as Backend.AI's {@code ai.backend.service-ports} label declares it
     * ({@code jupyter:http:8888}): its name, its protocol ({@code http}, {@code tcp} or {@code preopen}) and its ports.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ServicePort(String name, String protocol, java.util.List<Integer> ports) {
        public ServicePort {
            ports = ports == null ? java.util.List.of() : java.util.List.copyOf(ports);
        }
    }

    /**
     * How far the image pull is (Docker, while PULLING; the last one stays): bytes downloaded of the layers whose size
     * the engine has told so far, and layers done (downloaded and extracted, or already on the host) of those it named.
     */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record PullProgress(long bytesDone, long bytesTotal, int layersDone, int layersTotal) {
    }

    /** These facts with the pull's progress. */
    public SessionRuntimeFacts withPull(PullProgress progress) {
        return new SessionRuntimeFacts(progress, user, servicePorts);
    }

    /** These facts with what the image says of itself: its default user and its service ports. */
    public SessionRuntimeFacts withImage(String imageUser, java.util.List<ServicePort> ports) {
        return new SessionRuntimeFacts(pull, imageUser, ports);
    }

    /** The field of a step report (and of the session view and the event detail) that carries these facts. */
    public static final String FIELD = "runtime";
    /** The most the facts may weigh as JSON: they are stored on the session item, which must stay small. */
    public static final int MAX_BYTES = 8192;

    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    /** Whether nothing is known. */
    @JsonIgnore
    public boolean isEmpty() {
        return toWire().isEmpty();
    }

    /** The wire shape (snake_case, empty values left out). */
    public Map<String, Object> toWire() {
        return JSON.convertValue(this, new TypeReference<Map<String, Object>>() {
        });
    }

    /** As JSON text (how the store keeps it). */
    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Reads the facts of a step report: {@code null} is none; anything but an object of the right shape within
     * {@link #MAX_BYTES} is refused, naming the field.
     */
    public static SessionRuntimeFacts fromWire(Object wire) {
        if (wire == null) {
            return EMPTY;
        }
        if (!(wire instanceof Map<?, ?>)) {
            throw new AgentReports.Malformed(FIELD, "runtime must be a JSON object of the session's runtime facts.");
        }
        SessionRuntimeFacts facts;
        try {
            facts = JSON.convertValue(wire, SessionRuntimeFacts.class);
        } catch (IllegalArgumentException e) {
            throw new AgentReports.Malformed(FIELD, "runtime is not a valid runtime facts object: "
                    + firstLine(e.getMessage()) + ".");
        }
        if (facts.toJson().getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            throw new AgentReports.Malformed(FIELD, "runtime may weigh at most " + MAX_BYTES + " bytes as JSON.");
        }
        return facts;
    }

    /** Reads stored facts; {@code null} (an item written before them) is none. */
    public static SessionRuntimeFacts fromJson(String text) {
        if (text == null || text.isBlank()) {
            return EMPTY;
        }
        try {
            return JSON.readValue(text, SessionRuntimeFacts.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("stored runtime facts are not valid JSON: " + firstLine(e.getOriginalMessage()), e);
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "malformed";
        }
        int nl = message.indexOf('\n');
        String line = nl < 0 ? message : message.substring(0, nl);
        int ref = line.indexOf(" (through reference chain");
        return (ref < 0 ? line : line.substring(0, ref)).trim();
    }
}
