package dev.sluice.agent.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * How each session's container is fenced off from the host and from the other sessions on it: {@code docker create}
 * always gets {@code --security-opt no-new-privileges} and {@code --cap-drop ALL}, then the capabilities of
 * {@link #capAdd()}, a {@code --pids-limit}, and a network of its own (or none). Nothing is ever published on the
 * host ({@code -p} is never used). The README (agent, Docker runtime) says why each setting is what it is.
 *
 * @param network   {@link Network#SESSION}: a user-defined bridge of the session's own, or {@link Network#NONE}
 * @param capAdd    the capabilities given back after dropping all (names without {@code CAP_}, upper case)
 * @param pidsLimit the most processes (threads included) the container may hold at once
 */
public record DockerIsolation(Network network, List<String> capAdd, long pidsLimit) {

    /** First: {@link #DEFAULTS} below is checked with it while the class initialises. */
    private static final Pattern CAPABILITY = Pattern.compile("[A-Z][A-Z_]*");

    /**
     * What ordinary research images need and nothing more: package installs and entrypoints that {@code chown} and
     * {@code chmod} files they do not own (CHOWN, DAC_OVERRIDE, FOWNER), drop from root to the image's user
     * ({@code gosu}/{@code su-exec}: SETUID, SETGID), signal their own workers running as another user (KILL), and
     * serve on a port under 1024 inside their own network (NET_BIND_SERVICE). Left out of Docker's default set:
     * NET_RAW (forged packets and ARP spoofing on the bridge), MKNOD, SYS_CHROOT, SETPCAP, SETFCAP, FSETID, AUDIT_WRITE.
     */
    public static final List<String> MINIMUM_CAPABILITIES = List.of("CHOWN", "DAC_OVERRIDE", "FOWNER", "SETUID", "SETGID",
            "KILL", "NET_BIND_SERVICE");
    /**
     * Never given back, whatever {@code docker.cap.add} says: each reaches past the container to the host's kernel,
     * devices, clock, audit or security modules, lets it read host files by handle (DAC_READ_SEARCH:
     * {@code open_by_handle_at}), or lets it forge traffic and rewire its network (NET_RAW, NET_ADMIN). MKNOD and
     * SYS_PTRACE may be added: the engine's device cgroup still refuses a node made inside, and a trace stays within
     * the container's own processes.
     */
    public static final List<String> REFUSED_CAPABILITIES = List.of("SYS_ADMIN", "SYS_MODULE", "SYS_RAWIO", "SYS_BOOT",
            "SYS_TIME", "SYSLOG", "DAC_READ_SEARCH", "NET_ADMIN", "NET_RAW", "MAC_ADMIN", "MAC_OVERRIDE", "BPF", "PERFMON",
            "LINUX_IMMUTABLE", "AUDIT_CONTROL");
    public static final long DEFAULT_PIDS_LIMIT = 4096;
    public static final DockerIsolation DEFAULTS = new DockerIsolation(Network.SESSION, MINIMUM_CAPABILITIES,
            DEFAULT_PIDS_LIMIT);

    /** Where a session's container is attached. */
    public enum Network {
        /** A user-defined bridge named after the session, created before its container and removed after it. */
        SESSION,
        /** No network at all but the container's own loopback. */
        NONE;

        public static Network parse(String text) {
            return switch (text.trim()) {
                case "session" -> SESSION;
                case "none" -> NONE;
                default -> throw new IllegalArgumentException("docker.network must be session or none, not " + text);
            };
        }
    }

    public DockerIsolation {
        capAdd = List.copyOf(capAdd);
        for (String cap : capAdd) {
            if (!CAPABILITY.matcher(cap).matches() || cap.equals("ALL")) {
                throw new IllegalArgumentException("docker.cap.add names capabilities such as CHOWN,KILL (not ALL), not '"
                        + cap + "'");
            }
            if (REFUSED_CAPABILITIES.contains(cap)) {
                throw new IllegalArgumentException("docker.cap.add must not give back " + cap
                        + ": it breaks the isolation of sessions from the host and each other (refused: "
                        + String.join(", ", REFUSED_CAPABILITIES) + ")");
            }
        }
        if (pidsLimit < 16) {
            throw new IllegalArgumentException("docker.pids.limit must be at least 16 (a shell and its children), not "
                    + pidsLimit);
        }
    }

    /** {@code CHOWN,KILL} (or {@code cap_chown, CAP_KILL}) as capability names; an empty text gives back none. */
    public static List<String> capabilities(String text) {
        List<String> caps = new ArrayList<>();
        for (String part : text.split(",")) {
            String cap = part.trim().toUpperCase(Locale.ROOT);
            if (cap.startsWith("CAP_")) {
                cap = cap.substring(4);
            }
            if (!cap.isEmpty() && !caps.contains(cap)) {
                caps.add(cap);
            }
        }
        return caps;
    }

    /** The {@code docker create} arguments that apply this isolation to a session's container. */
    List<String> createArguments(String sessionId) {
        List<String> argv = new ArrayList<>();
        argv.add("--network");
        argv.add(network == Network.NONE ? "none" : DockerCommands.networkName(sessionId));
        argv.add("--security-opt");
        argv.add("no-new-privileges");
        argv.add("--cap-drop");
        argv.add("ALL");
        for (String cap : capAdd) {
            argv.add("--cap-add");
            argv.add(cap);
        }
        argv.add("--pids-limit");
        argv.add(Long.toString(pidsLimit));
        return argv;
    }
}
