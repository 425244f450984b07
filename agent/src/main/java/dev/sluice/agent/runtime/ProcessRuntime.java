package dev.sluice.agent.runtime;

import dev.sluice.agent.Assignment;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Runs each session as a child process: its startup command under {@code /bin/sh} with the session's environment. The
 * agent keeps, per session, a directory ({@code <work>/sessions/<id>/}) holding its output, its process id and, once
 * it ends, its exit code; the workload itself works in {@code <id>/work/} ({@code SLUICE_DIR}, its home and working
 * directory). A small shell wrapper writes the exit code and forwards SIGTERM to the command, so an agent that
 * restarts finds what ended meanwhile and follows what still runs. What runs locally and in tests; on GPU hosts, Docker.
 *
 * <p><b>Isolation.</b> With a range of user ids ({@code workload.uids}; the agent runs as root), every session runs
 * under a user id of its own from that range ({@code setpriv}: no groups, no new privileges): its working directory and
 * its folders belong to it alone (mode 0700), the agent's own files (its pid and exit-code records, its token, the
 * other sessions) are out of its reach. Without a range, every workload runs as the agent's own user and can read
 * whatever the agent can — its credentials included: the agent only runs that way when configured single-tenant.
 */
public final class ProcessRuntime implements SessionRuntime {
    /**
     * Forwards TERM to the command, waits for it, and records its exit code atomically. {@code $1} is the session's
     * directory (the agent's, where the exit code goes); what follows is the command that switches to the workload's
     * user (nothing when not isolated).
     */
    static final String WRAPPER = ""
            + "state=$1; shift\n"
            + "\"$@\" \"$SLUICE_SHELL\" -c \"$SLUICE_COMMAND\" &\n"
            + "child=$!\n"
            + "trap 'kill -TERM $child 2>/dev/null' TERM INT\n"
            + "wait $child; code=$?\n"
            + "while kill -0 $child 2>/dev/null; do wait $child; code=$?; done\n"
            // A wait the trap interrupted answers 143 even when the command then ended by itself (trapped TERM, exit
            // 0) before the loop looked: the shell keeps the ended child's status, and waiting again gives it.
            + "wait $child 2>/dev/null; code=$?\n"
            + "echo $code > \"$state/exit_code.tmp\" && mv \"$state/exit_code.tmp\" \"$state/exit_code\"\n"
            + "exit $code\n";
    private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> TRAVERSE_ONLY =
            java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x");
    private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> OWNER_ONLY_DIR =
            java.nio.file.attribute.PosixFilePermissions.fromString("rwx------");
    private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> OWNER_ONLY_FILE =
            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------");

    /** A range of user ids for workloads, one per session, e.g. {@code 200000-200999}. */
    public record Uids(int first, int last) {
        public Uids {
            if (first < 1000 || last < first) {
                throw new IllegalArgumentException("workload.uids must be a range such as 200000-200999 (first at least 1000), not "
                        + first + "-" + last);
            }
        }

        public static Uids parse(String text) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,9})-(\\d{1,9})").matcher(text.trim());
            if (!m.matches()) {
                throw new IllegalArgumentException("workload.uids must be a range such as 200000-200999, not " + text);
            }
            return new Uids(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
        }
    }
    /** An interactive session without a command: a kernel that idles until destroyed. */
    static final String IDLE = "exec sleep 2147483647";

    private final Path root;
    private final Optional<Uids> uids;
    private final Map<String, ProcessHandle> processes = new ConcurrentHashMap<>();
    /** Stops asked for before the process existed: honoured as soon as it does. */
    private final Map<String, Duration> stopsBeforeStart = new ConcurrentHashMap<>();

    /** Every workload as the agent's own user: single-tenant only (see the class comment). */
    public ProcessRuntime(Path workDir) {
        this.root = workDir.resolve("sessions");
        this.uids = Optional.empty();
    }

    /**
     * Every session under a user id of its own from {@code uids}. Refuses to start unless the agent runs as root (it
     * must switch users), {@code setpriv} is there, and a workload can reach its directories (every directory above the
     * work directory lets others through).
     */
    public ProcessRuntime(Path workDir, Uids uids) throws IOException {
        this.root = workDir.resolve("sessions");
        this.uids = Optional.of(uids);
        if (!runningAsRoot()) {
            throw new IllegalStateException("workload.uids needs the agent to run as root (it starts each workload as its own user)");
        }
        if (!Files.isExecutable(Path.of(SETPRIV))) {
            throw new IllegalStateException("workload.uids needs " + SETPRIV + " (util-linux) to start workloads as their own user");
        }
        Files.createDirectories(root);
        for (Path p = root.toAbsolutePath(); p != null; p = p.getParent()) {
            if (!Files.getPosixFilePermissions(p).contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE)) {
                throw new IllegalStateException("a workload running as its own user cannot reach the work directory: " + p
                        + " lets nobody else through (chmod o+x it, or choose another work.dir)");
            }
        }
        // Others may pass through to their own session's directory, never list or read what is there.
        Files.setPosixFilePermissions(workDir, TRAVERSE_ONLY);
        Files.setPosixFilePermissions(root, TRAVERSE_ONLY);
    }

    static final String SETPRIV = "/usr/bin/setpriv";

    /** Whether this process runs as root (the owner of {@code /proc/self} is the effective user). */
    public static boolean runningAsRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    /** Whether workloads run as users of their own. */
    public boolean isolated() {
        return uids.isPresent();
    }

    /**
     * The session's user id, given it the first time (the lowest of the range no other session's directory holds);
     * recorded in the session's directory, which the workload cannot change.
     */
    synchronized int uidOf(String sessionId) throws IOException {
        Path file = dir(sessionId).resolve("uid");
        if (Files.exists(file)) {
            return Integer.parseInt(Files.readString(file).trim());
        }
        java.util.Set<Integer> used = new java.util.HashSet<>();
        if (Files.isDirectory(root)) {
            try (Stream<Path> dirs = Files.list(root)) {
                for (Path d : dirs.toList()) {
                    try {
                        used.add(Integer.parseInt(Files.readString(d.resolve("uid")).trim()));
                    } catch (IOException | NumberFormatException none) {
                        // a session without a user id (not started yet, or from a non-isolated run)
                    }
                }
            }
        }
        Uids range = uids.orElseThrow();
        // Nor one that a process still runs as (a workload's daemon that outlived a removal it was not there for).
        ProcessHandle.allProcesses().forEach(ph -> owner(ph).filter(u -> u >= range.first() && u <= range.last()).ifPresent(used::add));
        for (long uid = range.first(); uid <= range.last(); uid++) {
            if (!used.contains((int) uid)) {
                Files.createDirectories(dir(sessionId));
                Files.setPosixFilePermissions(dir(sessionId), TRAVERSE_ONLY);
                Files.writeString(file, Long.toString(uid));
                return (int) uid;
            }
        }
        throw new IOException("every user id of workload.uids " + range.first() + "-" + range.last() + " is taken by a session");
    }

    /**
     * A directory staged for the session (a folder copied in): isolated, it becomes the session's user's alone (a
     * read-only folder it may read, not change); otherwise open to whatever user the workload runs as.
     */
    @Override
    public void grant(String sessionId, Path dir, boolean writable) throws IOException {
        if (uids.isEmpty()) {
            SessionRuntime.super.grant(sessionId, dir, writable);
            return;
        }
        int uid = uidOf(sessionId);
        java.util.Set<java.nio.file.attribute.PosixFilePermission> dirs = java.nio.file.attribute.PosixFilePermissions
                .fromString(writable ? "rwx------" : "r-x------");
        java.util.Set<java.nio.file.attribute.PosixFilePermission> files = java.nio.file.attribute.PosixFilePermissions
                .fromString(writable ? "rw-------" : "r--------");
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.toList()) {
                Files.setAttribute(p, "unix:uid", uid, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(p, "unix:gid", uid, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                if (!Files.isSymbolicLink(p)) {
                    Files.setPosixFilePermissions(p, Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? dirs : files);
                }
            }
        }
    }

    @Override
    public String name() {
        return "process";
    }

    /** Per session, {@code <id>/signal/}: where the agent writes the deadline file at a spot interruption. */
    static final String SIGNAL = "signal";
    static final String DEADLINE_FILE = "deadline";

    @Override
    public Optional<Path> deadlineFile(String sessionId) {
        return Optional.of(dir(sessionId).resolve(SIGNAL).resolve(DEADLINE_FILE));
    }

    private Path dir(String sessionId) {
        return root.resolve(sessionId);
    }

    @Override
    public void start(Assignment a, Listener listener) {
        Thread t = new Thread(() -> {
            try {
                listener.preparing();
                Path dir = dir(a.sessionId());
                Files.createDirectories(dir);
                Path work = Files.createDirectories(dir.resolve("work"));
                // The deadline file's directory: the agent's, readable by the workload (it is written only at an
                // interruption, atomically, by the agent).
                Path signal = Files.createDirectories(dir.resolve(SIGNAL));
                try {
                    Files.setPosixFilePermissions(signal, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
                } catch (UnsupportedOperationException notPosix) {
                    // its own defaults stand
                }
                Path log = dir.resolve("output.log");
                if (!Files.exists(log)) {
                    Files.createFile(log);
                }
                List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", WRAPPER, "sluice-wrapper", dir.toString()));
                if (uids.isPresent()) {
                    // The agent's records (pid, exit code, output) stay root's; the workload gets its own directory.
                    int uid = uidOf(a.sessionId());
                    Files.setPosixFilePermissions(dir, TRAVERSE_ONLY);
                    Files.setPosixFilePermissions(log, OWNER_ONLY_FILE);
                    Files.setAttribute(work, "unix:uid", uid);
                    Files.setAttribute(work, "unix:gid", uid);
                    Files.setPosixFilePermissions(work, OWNER_ONLY_DIR);
                    argv.addAll(List.of(SETPRIV, "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "--no-new-privs", "--"));
                }
                ProcessBuilder pb = new ProcessBuilder(argv).directory(work.toFile())
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
                Map<String, String> env = pb.environment();
                if (uids.isPresent()) {
                    // Nothing of the agent's own environment (its settings, its credentials' location) reaches the workload.
                    env.clear();
                    env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
                    env.put("HOME", work.toString());
                }
                env.putAll(a.environment());
                env.put("SLUICE_SHELL", "/bin/sh");
                env.put("SLUICE_COMMAND", a.startupCommand().orElse(IDLE));
                env.put("SLUICE_DIR", work.toString());
                env.put("SLUICE_SESSION_ID", a.sessionId());
                env.put(dev.sluice.protocol.AgentInterruption.DEADLINE_FILE_ENV, signal.resolve(DEADLINE_FILE).toString());
                env.put("SLUICE_KERNEL_ID", a.kernelId());
                env.put("SLUICE_CLUSTER_ROLE", a.clusterRole());
                env.put("SLUICE_CLUSTER_INDEX", Integer.toString(a.clusterIndex()));
                if (!a.gpus().isEmpty()) {
                    env.put("CUDA_VISIBLE_DEVICES", String.join(",", a.gpus()));
                }
                for (Assignment.Mount m : a.mounts()) {
                    env.put("SLUICE_MOUNT_" + m.name().toUpperCase(java.util.Locale.ROOT).replaceAll("[^A-Z0-9]", "_"), m.location());
                }
                Process p = pb.start();
                Files.writeString(dir.resolve("pid"), p.pid() + " " + p.info().startInstant().map(Object::toString).orElse(""));
                processes.put(a.sessionId(), p.toHandle());
                Duration early = stopsBeforeStart.remove(a.sessionId());
                if (early != null) {
                    Thread stopper = new Thread(() -> stop(a.sessionId(), early), "stop-" + a.sessionId());
                    stopper.setDaemon(true);
                    stopper.start();
                }
                Map<String, Object> devices = new LinkedHashMap<>();
                if (!a.gpus().isEmpty()) {
                    devices.put("cuda.device", String.join(",", a.gpus()));
                }
                listener.running(Long.toString(p.pid()), devices);
                int code = p.waitFor();
                processes.remove(a.sessionId());
                listener.exited(exitCodeFile(a.sessionId()).orElse(code));
            } catch (IOException e) {
                listener.failed("could not start the command: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "session-" + a.sessionId());
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void stop(String sessionId, Duration grace) {
        Optional<ProcessHandle> h = handle(sessionId);
        if (h.isEmpty()) {
            if (!Files.exists(dir(sessionId).resolve("exit_code"))) {
                stopsBeforeStart.put(sessionId, grace);
            }
            return;
        }
        ProcessHandle wrapper = h.get();
        // SIGTERM to the command and everything it started (a shell waiting on a foreground child would otherwise
        // only act on it once that child ends), then to the wrapper, which records the exit code.
        List<ProcessHandle> tree = new ArrayList<>(wrapper.descendants().toList());
        tree.forEach(ProcessHandle::destroy);
        wrapper.destroy();
        try {
            wrapper.onExit().get(grace.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException late) {
            tree.addAll(wrapper.descendants().toList());
            tree.forEach(ProcessHandle::destroyForcibly);
            wrapper.destroyForcibly();
        } catch (java.util.concurrent.ExecutionException e) {
            wrapper.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        tree.forEach(ProcessHandle::destroyForcibly);
    }

    private Optional<ProcessHandle> handle(String sessionId) {
        ProcessHandle known = processes.get(sessionId);
        if (known != null) {
            return Optional.of(known).filter(ProcessHandle::isAlive);
        }
        return recordedProcess(sessionId);
    }

    /** The process recorded in the session's directory, if it is still that process (same pid and start time). */
    private Optional<ProcessHandle> recordedProcess(String sessionId) {
        try {
            String[] recorded = Files.readString(dir(sessionId).resolve("pid")).trim().split(" ");
            Optional<ProcessHandle> h = ProcessHandle.of(Long.parseLong(recorded[0]));
            return h.filter(ProcessHandle::isAlive).filter(p -> recorded.length < 2
                    || p.info().startInstant().map(Object::toString).map(recorded[1]::equals).orElse(true));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private Optional<Integer> exitCodeFile(String sessionId) {
        try {
            return Optional.of(Integer.parseInt(Files.readString(dir(sessionId).resolve("exit_code")).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    @Override
    public List<Workload> discover() {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        List<Workload> found = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path d : dirs.sorted().toList()) {
                String id = d.getFileName().toString();
                if (!Files.exists(d.resolve("pid")) && !Files.exists(d.resolve("exit_code"))) {
                    continue; // a user id given while its folders were copied in: nothing was started
                }
                Optional<ProcessHandle> alive = recordedProcess(id);
                Optional<Integer> code = exitCodeFile(id);
                found.add(new Workload(id, alive.isPresent(), code.map(OptionalInt::of).orElse(OptionalInt.empty()),
                        alive.map(p -> Long.toString(p.pid()))));
            }
        } catch (IOException e) {
            return found;
        }
        return found;
    }

    @Override
    public void reattach(String sessionId, Listener listener) {
        Optional<ProcessHandle> h = recordedProcess(sessionId);
        if (h.isEmpty()) {
            // Ended while nobody watched: its exit code is on disk, or it was killed with its wrapper.
            listener.exited(exitCodeFile(sessionId).orElse(137));
            return;
        }
        processes.put(sessionId, h.get());
        h.get().onExit().thenRun(() -> {
            processes.remove(sessionId);
            listener.exited(exitCodeFile(sessionId).orElse(137));
        });
    }

    /** The user a process runs as (the owner of its {@code /proc} entry), if it still runs (a zombie runs nothing). */
    private static Optional<Integer> owner(ProcessHandle ph) {
        try {
            Path proc = Path.of("/proc/" + ph.pid());
            String stat = Files.readString(proc.resolve("stat"));
            if (stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z")) {
                return Optional.empty();
            }
            return Optional.of((Integer) Files.getAttribute(proc, "unix:uid"));
        } catch (IOException | RuntimeException gone) {
            return Optional.empty();
        }
    }

    @Override
    public void remove(String sessionId) {
        Path dir = dir(sessionId);
        if (!Files.exists(dir)) {
            return;
        }
        if (uids.isPresent()) {
            // Whatever still runs as the session's user (a process it left in the background) ends with it: the user id
            // goes to the next session, which must find nothing of this one's running.
            try {
                int uid = Integer.parseInt(Files.readString(dir.resolve("uid")).trim());
                List<ProcessHandle> left = ProcessHandle.allProcesses().filter(ph -> owner(ph).orElse(-1) == uid).toList();
                left.forEach(ProcessHandle::destroyForcibly);
                long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                while (left.stream().anyMatch(ph -> owner(ph).isPresent()) && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
            } catch (IOException | NumberFormatException noUser) {
                // never given one: nothing ran as it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // left for the next start of the agent to find and remove again
        }
    }

    @Override
    public Optional<String> logs(String sessionId, int lines) {
        Path file = dir(sessionId).resolve("output.log");
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        return Optional.of(tail(file, lines, 60 * 1024));
    }

    /** The last {@code lines} lines of a file, reading at most {@code maxBytes} from its end. */
    static String tail(Path file, int lines, int maxBytes) {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long length = f.length();
            int n = (int) Math.min(length, maxBytes);
            byte[] buf = new byte[n];
            f.seek(length - n);
            f.readFully(buf);
            String text = new String(buf, StandardCharsets.UTF_8);
            if (n < length) {
                int firstBreak = text.indexOf('\n');
                text = firstBreak < 0 ? text : text.substring(firstBreak + 1);
            }
            int end = text.endsWith("\n") ? text.length() - 1 : text.length();
            int at = end;
            for (int seen = 0; seen < lines; seen++) {
                at = text.lastIndexOf('\n', at - 1);
                if (at < 0) {
                    return text;
                }
            }
            return text.substring(at + 1);
        } catch (IOException e) {
            return "";
        }
    }
}
