package dev.sluice.agent.discovery;

import dev.sluice.agent.command.Command;
import dev.sluice.agent.command.CommandResult;
import dev.sluice.agent.command.CommandRunner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the host's NVIDIA GPUs with {@code nvidia-smi}: one CSV query for the devices, and the plain table for the
 * CUDA version (not a {@code --query-gpu} field on most drivers). {@link #parse} is pure and tested against outputs
 * captured from real hosts ({@code src/test/resources/nvidia-smi/}).
 */
public final class NvidiaSmi {

    public static final List<String> QUERY = List.of("nvidia-smi",
            "--query-gpu=index,uuid,name,memory.total,driver_version,pci.bus_id", "--format=csv,noheader,nounits");
    public static final List<String> HEADER = List.of("nvidia-smi");
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(15);

    private static final String DRIVER_UNREACHABLE = "couldn't communicate with the nvidia driver";
    private static final String NO_DEVICES = "no devices were found";
    // "CUDA Version: 12.2" (table header), "CUDA Version   : 12.2" (nvidia-smi -q), "CUDA UMD Version: 13.3" (R610+).
    private static final Pattern CUDA_VERSION = Pattern.compile("CUDA (?:UMD )?Version\\s*:\\s*([0-9]+(?:\\.[0-9]+)*)");
    private static final Pattern DRIVER_VERSION = Pattern.compile("(?:Driver|KMD) Version\\s*:\\s*([0-9]+(?:\\.[0-9]+)*)");
    private static final long MIB = 1024L * 1024L;

    private final CommandRunner runner;
    private final Duration timeout;

    public NvidiaSmi(CommandRunner runner, Duration timeout) {
        this.runner = runner;
        this.timeout = timeout;
    }

    public NvidiaSmi(CommandRunner runner) {
        this(runner, DEFAULT_TIMEOUT);
    }

    /** Runs nvidia-smi and reads the host's GPUs; never throws for a host without GPUs or a broken driver. */
    public GpuInventory probe() {
        CommandResult query = runner.run(Command.of(timeout, QUERY));
        switch (query.outcome()) {
            case NOT_FOUND:
                return GpuInventory.none(Optional.empty());
            case TIMED_OUT:
                return GpuInventory.none(Optional.of("nvidia-smi did not answer within " + timeout.toSeconds()
                        + "s; the driver may be hung. No GPU is offered."));
            default:
                break;
        }
        String output = query.stdout() + query.stderr();
        GpuInventory fromQuery = parse(output, "");
        if (query.exitCode() != 0 && fromQuery.count() == 0 && fromQuery.warnings().isEmpty()) {
            return GpuInventory.none(Optional.of(query.failureDescription("nvidia-smi") + ". No GPU is offered."));
        }
        if (fromQuery.count() == 0) {
            return fromQuery;
        }
        CommandResult header = runner.run(Command.of(timeout, HEADER));
        String headerText = header.outcome() == CommandResult.Outcome.EXITED ? header.stdout() : "";
        GpuInventory inventory = parse(output, headerText);
        if (inventory.cudaVersion().isEmpty()) {
            List<String> warnings = new ArrayList<>(inventory.warnings());
            warnings.add("the CUDA version could not be read from nvidia-smi's header"
                    + (header.succeeded() ? "" : " (" + header.failureDescription("nvidia-smi") + ")"));
            return new GpuInventory(inventory.gpus(), inventory.driverVersion(), Optional.empty(), warnings);
        }
        return inventory;
    }

    /**
     * Reads the output of {@link #QUERY} ({@code queryOutput}: its stdout and stderr) and of {@link #HEADER}
     * ({@code headerOutput}: the plain table, or {@code nvidia-smi -q}; may be empty). Known failure texts (driver
     * unreachable, no devices) give zero GPUs and a warning; a GPU whose UUID or index cannot be read is left out with
     * a warning (it cannot be handed to a container safely); unknown memory or bus id is kept as unknown.
     */
    public static GpuInventory parse(String queryOutput, String headerOutput) {
        String lowered = queryOutput.toLowerCase(Locale.ROOT);
        if (lowered.contains(DRIVER_UNREACHABLE)) {
            return GpuInventory.none(Optional.of("the NVIDIA driver is not reachable (nvidia-smi: "
                    + firstLine(queryOutput) + "). No GPU is offered until it is fixed and the agent restarts."));
        }
        if (lowered.contains(NO_DEVICES)) {
            return GpuInventory.none(Optional.of("nvidia-smi found no devices although a driver is installed."));
        }
        List<GpuInventory.Gpu> gpus = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        Optional<String> driver = Optional.empty();
        for (String raw : queryOutput.split("\\R")) {
            String line = raw.trim();
            if (line.isEmpty()) {
                continue;
            }
            String[] fields = line.split(",", -1);
            if (fields.length != 6) {
                warnings.add("nvidia-smi line not understood (expected 6 fields): " + line);
                continue;
            }
            for (int i = 0; i < fields.length; i++) {
                fields[i] = fields[i].trim();
            }
            Optional<Integer> index = integer(fields[0]);
            String uuid = fields[1];
            if (index.isEmpty() || !known(uuid) || !uuid.startsWith("GPU-")) {
                warnings.add("a GPU could not be identified (index " + fields[0] + ", uuid " + uuid
                        + "); it is left out: " + line);
                continue;
            }
            String model = known(fields[2]) ? fields[2] : "unknown";
            OptionalLong memory = OptionalLong.empty();
            Optional<Long> mib = known(fields[3]) ? integer(fields[3]).map(Integer::longValue) : Optional.empty();
            if (mib.isPresent()) {
                memory = OptionalLong.of(mib.get() * MIB);
            } else {
                warnings.add("GPU " + index.get() + " (" + uuid + ") reports no memory total: " + fields[3]);
            }
            if (driver.isEmpty() && known(fields[4])) {
                driver = Optional.of(fields[4]);
            }
            Optional<String> pci = known(fields[5]) ? Optional.of(fields[5]) : Optional.empty();
            gpus.add(new GpuInventory.Gpu(index.get(), uuid, model, memory, pci));
        }
        if (driver.isEmpty()) {
            driver = find(DRIVER_VERSION, headerOutput);
        }
        Optional<String> cuda = find(CUDA_VERSION, headerOutput);
        if (gpus.isEmpty()) {
            return new GpuInventory(List.of(), Optional.empty(), Optional.empty(), warnings);
        }
        return new GpuInventory(gpus, driver, cuda, warnings);
    }

    /** nvidia-smi writes {@code [N/A]}, {@code [Not Supported]}, {@code [Unknown Error]}, ... for values it lacks. */
    private static boolean known(String field) {
        return !field.isEmpty() && !field.startsWith("[") && !field.equalsIgnoreCase("N/A");
    }

    private static Optional<Integer> integer(String text) {
        try {
            return Optional.of(Integer.parseInt(text));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> find(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    private static String firstLine(String text) {
        String trimmed = text.trim();
        int end = trimmed.indexOf('\n');
        return end < 0 ? trimmed : trimmed.substring(0, end).trim();
    }
}
