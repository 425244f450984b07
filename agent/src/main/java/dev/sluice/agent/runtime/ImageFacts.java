package dev.sluice.agent.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.protocol.SessionRuntimeFacts;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What an image says of itself, as Backend.AI reads it: its default user ({@code Config.User}, the Dockerfile's
 * {@code USER}) and the services it offers ({@code ai.backend.service-ports}, e.g.
 * {@code jupyter:http:8888,tensorboard:http:6006,sshd:tcp:2200}). Pure: parsed from {@code docker image inspect}'s
 * {@code .Config} as JSON.
 *
 * @param user         the image's default user; empty when it names none (Docker then runs the workload as root)
 * @param servicePorts the services of the label, in its order; empty without the label
 */
public record ImageFacts(String user, List<SessionRuntimeFacts.ServicePort> servicePorts) {

    public static final String SERVICE_PORTS_LABEL = "ai.backend.service-ports";
    /** The protocols Backend.AI's agents accept ({@code pty} entries it skips, and so do we). */
    static final Set<String> PROTOCOLS = Set.of("http", "tcp", "preopen");
    /** At most this many services, and ports in all: they are stored with the session, which must stay small. */
    static final int MAX_SERVICES = 32;
    static final int MAX_PORTS = 64;
    private static final Pattern ENTRY = Pattern.compile("([\\w-]{1,64}):(\\w+):(\\[\\d{1,5}(?:,\\d{1,5})*\\]|\\d{1,5})");
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Reads {@code docker image inspect --format '{{json .Config}}'}.
     *
     * @throws IllegalArgumentException when the service-ports label is malformed: the message names the label, the
     *                                  entry and the rule, as a sentence
     */
    public static ImageFacts fromConfig(String configJson) {
        JsonNode config;
        try {
            config = JSON.readTree(configJson);
        } catch (IOException e) {
            throw new IllegalStateException("docker image inspect printed something that is not JSON: " + configJson, e);
        }
        String user = config.path("User").asText("");
        if (user.length() > 256) {
            throw new IllegalArgumentException("The image's default user is longer than 256 characters.");
        }
        JsonNode label = config.path("Labels").path(SERVICE_PORTS_LABEL);
        return new ImageFacts(user, label.isTextual() ? servicePorts(label.asText()) : List.of());
    }

    /**
     * The services of an {@code ai.backend.service-ports} label: comma-separated {@code name:protocol:port} entries,
     * or {@code name:protocol:[port,port]}; names unique, protocols http, tcp or preopen ({@code pty} is skipped), ports
     * 1025 to 65534 (a workload without root can listen there), each port used once. Blank: none.
     *
     * @throws IllegalArgumentException naming the label and what is wrong with it
     */
    public static List<SessionRuntimeFacts.ServicePort> servicePorts(String label) {
        String text = label.strip();
        List<SessionRuntimeFacts.ServicePort> services = new ArrayList<>();
        if (text.isEmpty()) {
            return services;
        }
        Set<String> names = new HashSet<>();
        Set<Integer> used = new HashSet<>();
        Matcher m = ENTRY.matcher(text);
        int at = 0;
        while (at < text.length()) {
            m.region(at, text.length());
            if (!m.lookingAt()) {
                String rest = text.substring(at);
                if (rest.startsWith(",")) {
                    throw malformed("entries must be separated by single commas, after '" + text.substring(0, at - 1) + "'");
                }
                int comma = rest.indexOf(',');
                throw malformed("the entry '" + (comma < 0 ? rest : rest.substring(0, comma)) + "' is not name:protocol:port "
                        + "(e.g. jupyter:http:8888) or name:protocol:[port,port]");
            }
            at = m.end();
            if (at < text.length()) {
                if (text.charAt(at) != ',' || at == text.length() - 1) {
                    throw malformed("entries must be separated by single commas, after '" + text.substring(0, at) + "'");
                }
                at++;
            }
            String name = m.group(1);
            String protocol = m.group(2);
            if (protocol.equals("pty")) {
                continue;
            }
            if (!PROTOCOLS.contains(protocol)) {
                throw malformed("the service " + name + " has the protocol '" + protocol + "'; it must be http, tcp or preopen");
            }
            if (!names.add(name)) {
                throw malformed("the service name " + name + " is used twice");
            }
            List<Integer> ports = new ArrayList<>();
            for (String p : m.group(3).replaceAll("[\\[\\]]", "").split(",")) {
                int port = Integer.parseInt(p);
                if (port <= 1024 || port >= 65535) {
                    throw malformed("the service " + name + " has the port " + port + "; ports must be from 1025 to 65534, "
                            + "so that a workload without root can listen on them");
                }
                if (!used.add(port)) {
                    throw malformed("the port " + port + " is used by two services");
                }
                if (used.size() > MAX_PORTS) {
                    throw malformed("it names more than " + MAX_PORTS + " ports");
                }
                ports.add(port);
            }
            services.add(new SessionRuntimeFacts.ServicePort(name, protocol, ports));
            if (services.size() > MAX_SERVICES) {
                throw malformed("it names more than " + MAX_SERVICES + " services");
            }
        }
        return services;
    }

    private static IllegalArgumentException malformed(String why) {
        return new IllegalArgumentException("The image's label " + SERVICE_PORTS_LABEL + " is malformed: " + why + ".");
    }
}
