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
 * Runs each session as a child process: its startup command under {@code /bin/sh} with the session's environment, in a
 * directory of its own ({@code <work>/sessions/<id>/}) holding its output, its process id and, once it ends, its exit
 * code. A small shell wrapper writes the exit code and forwards SIGTERM to the command, so an agent that restarts
 * finds what ended meanwhile and follows what still runs. What runs locally and in tests; on GPU hosts, Docker.
 */
public final class ProcessRuntime implements SessionRuntime {
    /** Forwards TERM to the command, waits for it, and records its exit code atomically. */
    static final String WRAPPER = ""
            + "\"$SLUICE_SHELL\" -c \"$SLUICE_COMMAND\" &\n"
            + "child=$!\n"
            + "trap 'kill -TERM $child 2>/dev/null' TERM INT\n"
            + "wait $child; code=$?\n"
            + "while kill -0 $child 2>/dev/null; do wait $child; code=$?; done\n"
            + "echo $code > \"$SLUICE_DIR/exit_code.tmp\" && mv \"$SLUICE_DIR/exit_code.tmp\" \"$SLUICE_DIR/exit_code\"\n"
            + "exit $code\n";
    /** An interactive session without a command: a kernel that idles until destroyed. */
    static final String IDLE = "exec sleep 2147483647";

    private final Path root;
    private final Map<String, ProcessHandle> processes = new ConcurrentHashMap<>();
    /** Stops asked for before the process existed: honoured as soon as it does. */
    private final Map<String, Duration> stopsBeforeStart = new ConcurrentHashMap<>();

    public ProcessRuntime(Path workDir) {
        this.root = workDir.resolve("sessions");
    }

    @Override
    public String name() {
        return "process";
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
                ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", WRAPPER).directory(dir.toFile())
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("output.log").toFile()));
                Map<String, String> env = pb.environment();
                env.putAll(a.environment());
                env.put("SLUICE_SHELL", "/bin/sh");
                env.put("SLUICE_COMMAND", a.startupCommand().orElse(IDLE));
                env.put("SLUICE_DIR", dir.toString());
                env.put("SLUICE_SESSION_ID", a.sessionId());
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

    @Override
    public void remove(String sessionId) {
        Path dir = dir(sessionId);
        if (!Files.exists(dir)) {
            return;
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
