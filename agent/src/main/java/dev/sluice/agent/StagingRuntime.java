package dev.sluice.agent;

import dev.sluice.agent.runtime.SessionRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Puts a session's folders on the host around any runtime. A mount whose location is an absolute host path goes to
 * the runtime as it is; one whose location is a folder's S3 prefix is copied into {@code <work>/mounts/<session>/<name>/}
 * first (the session is PREPARING meanwhile), and the runtime mounts that directory. When the workload ends, what it
 * wrote into a writable folder is saved back before the end is reported; a save that fails ends the session in ERROR
 * ({@code folder-save-failed}) rather than report a success whose output is lost. The list of a session's writable
 * folders is kept on disk, so an agent restarted mid-session still saves them.
 */
public final class StagingRuntime implements SessionRuntime {
    /** Folder names never start with a dot, so this cannot be a folder's directory. */
    private static final String WRITABLE = ".writable";

    private final SessionRuntime runtime;
    private final MountStager stager;
    private final Path root;
    /** Sessions still copying in, and those asked to stop meanwhile. */
    private final Set<String> staging = ConcurrentHashMap.newKeySet();
    private final Set<String> stoppedWhileStaging = ConcurrentHashMap.newKeySet();

    public StagingRuntime(SessionRuntime runtime, MountStager stager, Path workDir) {
        this.runtime = runtime;
        this.stager = stager;
        this.root = workDir.resolve("mounts");
    }

    @Override
    public String name() {
        return runtime.name();
    }

    private Path dir(String sessionId) {
        return root.resolve(sessionId);
    }

    static boolean isFolder(Assignment.Mount m) {
        return !m.location().startsWith("/");
    }

    @Override
    public void start(Assignment a, Listener listener) {
        if (a.mounts().stream().noneMatch(StagingRuntime::isFolder)) {
            runtime.start(a, listener);
            return;
        }
        staging.add(a.sessionId());
        Thread t = new Thread(() -> {
            try {
                listener.preparing();
                List<Assignment.Mount> local = new ArrayList<>();
                List<String> writable = new ArrayList<>();
                for (Assignment.Mount m : a.mounts()) {
                    if (!isFolder(m)) {
                        local.add(m);
                        continue;
                    }
                    Path target = dir(a.sessionId()).resolve(m.name());
                    stager.stageIn(a.sessionId(), m.name(), target);
                    boolean readOnly = m.permission().equals("ro");
                    openUp(target, readOnly);
                    local.add(new Assignment.Mount(m.name(), target.toAbsolutePath().toString(), m.permission(), m.path()));
                    if (!readOnly) {
                        writable.add(m.name());
                    }
                    if (stoppedWhileStaging.contains(a.sessionId())) {
                        break;
                    }
                }
                Files.writeString(dir(a.sessionId()).resolve(WRITABLE), String.join("\n", writable));
                Assignment staged = new Assignment(a.sessionId(), a.kernelId(), a.type(), a.image(), a.slots(), a.gpus(), a.environment(),
                        local, a.startupCommand(), a.clusterRole(), a.clusterIndex(), a.batchTimeout());
                // Checking for a stop and starting are one step against stop(): a stop lands before (never started) or after.
                synchronized (this) {
                    staging.remove(a.sessionId());
                    if (stoppedWhileStaging.remove(a.sessionId())) {
                        listener.exited(143);
                        return;
                    }
                    runtime.start(staged, saving(a.sessionId(), listener));
                }
            } catch (IOException | RuntimeException e) {
                // Anything at all (a signing failure, an unreadable directory): the session ends, never stays PREPARING.
                synchronized (this) {
                    staging.remove(a.sessionId());
                    stoppedWhileStaging.remove(a.sessionId());
                }
                listener.failed("folder-staging-failed", "could not copy the session's folders onto the host: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "stage-" + a.sessionId());
        t.setDaemon(true);
        t.start();
    }

    /**
     * The agent may run with a strict umask and the workload as another user (a container's root or its own user):
     * folders it reads are world-readable, folders it writes world-writable. Only this session's directory is mounted
     * into its container.
     */
    private static void openUp(Path target, boolean readOnly) throws IOException {
        java.util.Set<java.nio.file.attribute.PosixFilePermission> dirs = java.nio.file.attribute.PosixFilePermissions
                .fromString(readOnly ? "rwxr-xr-x" : "rwxrwxrwx");
        java.util.Set<java.nio.file.attribute.PosixFilePermission> files = java.nio.file.attribute.PosixFilePermissions
                .fromString(readOnly ? "rw-r--r--" : "rw-rw-rw-");
        try (Stream<Path> walk = Files.walk(target)) {
            for (Path p : walk.toList()) {
                Files.setPosixFilePermissions(p, Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? dirs : files);
            }
        } catch (UnsupportedOperationException notPosix) {
            // Not a POSIX file system: its own defaults stand.
        }
    }

    /** Forwards every step; at the end, saves the writable folders first. */
    private Listener saving(String sessionId, Listener listener) {
        return new Listener() {
            @Override
            public void pulling() {
                listener.pulling();
            }

            @Override
            public void preparing() {
                // Already reported while the folders were copied in.
            }

            @Override
            public void running(String containerId, Map<String, Object> devices) {
                listener.running(containerId, devices);
            }

            @Override
            public void exited(int exitCode) {
                Optional<String> failure;
                try {
                    failure = saveAll(sessionId);
                } catch (RuntimeException e) {
                    // An unreadable directory the workload left (UncheckedIOException from the walk), anything: the end
                    // is still reported, as a failure to save.
                    failure = Optional.of(e.getMessage());
                }
                if (failure.isPresent()) {
                    listener.failed("folder-save-failed", "the workload ended (exit code " + exitCode
                            + ") but its folders could not be saved: " + failure.get());
                } else {
                    listener.exited(exitCode);
                }
            }

            @Override
            public void failed(String message) {
                listener.failed(message);
            }

            @Override
            public void failed(String reason, String message) {
                listener.failed(reason, message);
            }
        };
    }

    private Optional<String> saveAll(String sessionId) {
        Path list = dir(sessionId).resolve(WRITABLE);
        if (!Files.exists(list)) {
            return Optional.empty();
        }
        try {
            for (String name : Files.readAllLines(list)) {
                if (!name.isBlank()) {
                    stager.stageOut(sessionId, name, dir(sessionId).resolve(name));
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        }
    }

    @Override
    public void stop(String sessionId, Duration grace) {
        synchronized (this) {
            if (staging.contains(sessionId)) {
                stoppedWhileStaging.add(sessionId);
                return;
            }
        }
        runtime.stop(sessionId, grace);
    }

    @Override
    public List<Workload> discover() {
        return runtime.discover();
    }

    @Override
    public void reattach(String sessionId, Listener listener) {
        runtime.reattach(sessionId, Files.exists(dir(sessionId)) ? saving(sessionId, listener) : listener);
    }

    @Override
    public void remove(String sessionId) {
        runtime.remove(sessionId);
        Path dir = dir(sessionId);
        if (!Files.exists(dir)) {
            return;
        }
        // Best effort: a file the workload made that the agent may not delete (a container's root-owned directory) must
        // not keep the workload's own removal from being done; what is left is named on the agent's log.
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | RuntimeException e) {
            System.out.println("{\"level\":\"WARN\",\"event\":\"mounts-left\",\"session\":\"" + sessionId + "\",\"message\":\""
                    + String.valueOf(e.getMessage()).replace('"', '\'') + "\"}");
        }
    }

    @Override
    public Optional<String> logs(String sessionId, int lines) {
        return runtime.logs(sessionId, lines);
    }
}
