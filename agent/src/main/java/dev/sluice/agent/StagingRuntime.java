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
 *
 * <p>What the staging itself keeps (each folder's manifest and partial downloads, the list of writable folders) lives
 * in names that start with a dot, which no folder name does: no mount can reach, replace or delete another's state.
 */
public final class StagingRuntime implements SessionRuntime {
    /** Folder names never start with a dot, so this cannot be a folder's directory. */
    private static final String WRITABLE = ".writable";
    /** Per folder, {@code .staging/<name>/}: its manifest and partial downloads; unreachable from any folder's name. */
    private static final String STATE = ".staging";
    /** The folder names the control plane allows (SessionSpec); anything else is refused before it touches the disk. */
    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

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
    public void start(Assignment a, Listener heard) {
        Listener listener = withoutHostPaths(a.sessionId(), heard);
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
                Files.createDirectories(dir(a.sessionId()));
                try {
                    // Others pass through to a folder given to them, never list the sessions or what one mounts.
                    Files.setPosixFilePermissions(root, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
                    Files.setPosixFilePermissions(dir(a.sessionId()), java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
                } catch (UnsupportedOperationException notPosix) {
                    // its own defaults stand
                }
                privateDir(Files.createDirectories(dir(a.sessionId()).resolve(STATE)));
                for (Assignment.Mount m : a.mounts()) {
                    if (!isFolder(m)) {
                        local.add(m);
                        continue;
                    }
                    if (!NAME.matcher(m.name()).matches()) {
                        throw new IOException("'" + m.name() + "' is not a folder name");
                    }
                    Path target = dir(a.sessionId()).resolve(m.name());
                    boolean readOnly = m.permission().equals("ro");
                    try {
                        stager.stageIn(a.sessionId(), m.name(), target, state(a.sessionId(), m.name()));
                        runtime.grant(a.sessionId(), target, !readOnly);
                    } catch (java.nio.file.FileSystemException e) {
                        throw new IOException("folder '" + m.name() + "': " + describe(e, dir(a.sessionId())), e);
                    }
                    local.add(new Assignment.Mount(m.name(), target.toAbsolutePath().toString(), m.permission(), m.path()));
                    if (!readOnly) {
                        writable.add(m.name());
                    }
                    if (stoppedWhileStaging.contains(a.sessionId())) {
                        break;
                    }
                }
                // Every folder is where the workload will look for it, or nothing runs: a missing input never ends
                // in a success.
                for (Assignment.Mount m : local) {
                    if (!Files.isDirectory(Path.of(m.location()), java.nio.file.LinkOption.NOFOLLOW_LINKS)
                            && a.mounts().stream().anyMatch(x -> x.name().equals(m.name()) && isFolder(x))) {
                        throw new IOException("folder '" + m.name() + "' is not on the host after copying it in");
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

    private Path state(String sessionId, String name) {
        return dir(sessionId).resolve(STATE).resolve(name);
    }

    /** The staging's own state: the agent's alone (partial downloads of a folder are nobody else's to read). */
    private static void privateDir(Path dir) throws IOException {
        try {
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException notPosix) {
            // Not a POSIX file system: its own defaults stand.
        }
    }

    /** What went wrong with a file, in words, naming it relative to the session's directory (not the host's paths). */
    static String describe(java.nio.file.FileSystemException e, Path sessionDir) {
        String file = e.getFile() == null ? "a file" : "'" + relative(sessionDir, e.getFile()) + "'";
        String reason;
        if (e instanceof java.nio.file.FileAlreadyExistsException) {
            reason = "already exists";
        } else if (e instanceof java.nio.file.NoSuchFileException) {
            reason = "does not exist";
        } else if (e instanceof java.nio.file.AccessDeniedException) {
            reason = "may not be written (permission denied)";
        } else if (e instanceof java.nio.file.NotDirectoryException) {
            reason = "is not a directory";
        } else if (e instanceof java.nio.file.DirectoryNotEmptyException) {
            reason = "is a directory that is not empty";
        } else {
            reason = e.getReason() == null ? e.getClass().getSimpleName() : e.getReason();
        }
        return file + " " + reason;
    }

    private static String relative(Path sessionDir, String file) {
        Path p = Path.of(file);
        Path base = sessionDir.toAbsolutePath();
        return p.toAbsolutePath().startsWith(base) ? base.relativize(p.toAbsolutePath()).toString() : p.getFileName().toString();
    }

    /**
     * Forwards every step, with the agent's host paths taken out of every failure message (it becomes the session's
     * status_data.message, which its owner reads): a path under the session's directory becomes the path relative to
     * it (the mount name first, e.g. {@code coll/a.txt}), any other under the agent's work directory
     * {@code <agent>/...}. Staging, saving and the runtime's own failures all pass here.
     */
    Listener withoutHostPaths(String sessionId, Listener listener) {
        return new Listener() {
            @Override
            public void pulling() {
                listener.pulling();
            }

            @Override
            public void preparing() {
                listener.preparing();
            }

            @Override
            public void running(String containerId, Map<String, Object> devices) {
                listener.running(containerId, devices);
            }

            @Override
            public void exited(int exitCode) {
                listener.exited(exitCode);
            }

            @Override
            public void failed(String message) {
                listener.failed(scrub(sessionId, message));
            }

            @Override
            public void failed(String reason, String message) {
                listener.failed(reason, scrub(sessionId, message));
            }

            @Override
            public void facts(dev.sluice.protocol.SessionRuntimeFacts facts) {
                listener.facts(facts);
            }
        };
    }

    /** {@code message} with the host paths of this agent replaced (see {@link #withoutHostPaths}). */
    String scrub(String sessionId, String message) {
        if (message == null) {
            return null;
        }
        String out = message;
        Path work = root.getParent() == null ? root : root.getParent();
        for (Path base : List.of(dir(sessionId), work)) {
            for (String form : forms(base)) {
                String replacement = base.equals(work) ? "<agent>" : "";
                out = out.replace(form + "/", replacement.isEmpty() ? "" : replacement + "/");
                out = out.replace(form, replacement.isEmpty() ? "the session's directory" : replacement);
            }
        }
        return out;
    }

    /** The absolute and real (links resolved, e.g. /tmp on macOS) spellings of {@code base}, longest first. */
    private static List<String> forms(Path base) {
        List<String> forms = new ArrayList<>();
        forms.add(base.toAbsolutePath().normalize().toString());
        try {
            String real = base.toRealPath().toString();
            if (!forms.contains(real)) {
                forms.add(real);
            }
        } catch (IOException | RuntimeException notThere) {
            // only the absolute spelling
        }
        forms.sort((x, y) -> y.length() - x.length());
        return forms;
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

            @Override
            public void facts(dev.sluice.protocol.SessionRuntimeFacts facts) {
                listener.facts(facts);
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
                    stager.stageOut(sessionId, name, dir(sessionId).resolve(name), state(sessionId, name));
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
    public void reattach(String sessionId, Listener heard) {
        Listener listener = withoutHostPaths(sessionId, heard);
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
    public Optional<Path> deadlineFile(String sessionId) {
        return runtime.deadlineFile(sessionId);
    }

    @Override
    public Optional<String> logs(String sessionId, int lines) {
        return runtime.logs(sessionId, lines);
    }
}
