package dev.sluice.agent.runtime;

import dev.sluice.agent.Assignment;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Where sessions actually run on this host: Docker containers with GPUs, or plain child processes. A runtime starts
 * workloads in the background and tells its {@link Listener} about each step; it keeps enough on the host (container
 * labels, state files) that an agent restarted mid-session finds its workloads again ({@link #discover()}).
 */
public interface SessionRuntime {

    /** {@code docker} or {@code process}. */
    String name();

    /**
     * Starts the session's workload and returns at once; steps arrive on {@code listener} from another thread:
     * {@code pulling} (Docker only), {@code preparing}, {@code running}, then exactly one of {@code exited} or
     * {@code failed}.
     */
    void start(Assignment assignment, Listener listener);

    /**
     * Stops a workload: asks it to end, and forces it after {@code grace}; returns once it has ended (so a removal
     * that follows never cuts the grace short). The listener then sees {@code exited}.
     */
    void stop(String sessionId, Duration grace);

    /** The workloads this runtime has on the host, running or ended, including those started before a restart. */
    List<Workload> discover();

    /** Follows a workload found by {@link #discover()} after a restart: its listener sees {@code exited} when it ends. */
    void reattach(String sessionId, Listener listener);

    /** Removes what is left of an ended workload (container, work directory). */
    void remove(String sessionId);

    /**
     * Where, on the host, the agent writes the session's deadline at a spot interruption: the file the workload finds
     * through {@code SLUICE_DEADLINE_FILE} ({@link dev.sluice.protocol.AgentInterruption}), given to it at start (the
     * same file, or a bind mount of its directory). Empty for a runtime that gives its workloads none.
     */
    default Optional<java.nio.file.Path> deadlineFile(String sessionId) {
        return Optional.empty();
    }

    /** The last {@code lines} lines of the workload's output (stdout and stderr), if it exists. */
    Optional<String> logs(String sessionId, int lines);

    /** A workload as found on the host. */
    record Workload(String sessionId, boolean running, OptionalInt exitCode, Optional<String> containerId) {
    }

    /** The steps of one workload. */
    /**
     * Makes a directory staged for the session (a folder copied onto the host) usable by its workload. By default the
     * workload may run as any user (a container's root or its own user): folders it reads are world-readable, folders
     * it writes world-writable; a runtime that runs each session as a user of its own gives the directory to that user.
     */
    default void grant(String sessionId, java.nio.file.Path dir, boolean writable) throws java.io.IOException {
        java.util.Set<java.nio.file.attribute.PosixFilePermission> dirs = java.nio.file.attribute.PosixFilePermissions
                .fromString(writable ? "rwxrwxrwx" : "rwxr-xr-x");
        java.util.Set<java.nio.file.attribute.PosixFilePermission> files = java.nio.file.attribute.PosixFilePermissions
                .fromString(writable ? "rw-rw-rw-" : "rw-r--r--");
        try (java.util.stream.Stream<java.nio.file.Path> walk = java.nio.file.Files.walk(dir)) {
            for (java.nio.file.Path p : walk.toList()) {
                java.nio.file.Files.setPosixFilePermissions(p,
                        java.nio.file.Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? dirs : files);
            }
        } catch (UnsupportedOperationException notPosix) {
            // Not a POSIX file system: its own defaults stand.
        }
    }

    interface Listener {
        default void pulling() {
        }

        void preparing();

        /** Started: its container id (or process id) and the devices it was given. */
        void running(String containerId, Map<String, Object> devices);

        /** Ended with an exit code (after a stop too). */
        void exited(int exitCode);

        /** Could not start (image pull failed, bad command, ...). */
        void failed(String message);

        /** Failed for a reason the control plane knows (e.g. {@code folder-staging-failed}). */
        default void failed(String reason, String message) {
            failed(message);
        }

        /**
         * What the runtime knows now about the workload ({@link dev.sluice.protocol.SessionRuntimeFacts}: a pull's
         * progress, ...), each time it knows more: the whole facts, the latest replacing the earlier. The agent sends
         * them with the next step report, or on their own at most once a heartbeat while the session is PULLING or
         * PREPARING.
         */
        default void facts(dev.sluice.protocol.SessionRuntimeFacts facts) {
        }
    }
}
