package dev.sluice.core.agent;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.protocol.AgentInterruption;
import dev.sluice.protocol.AgentReports;
import dev.sluice.protocol.SessionRuntimeFacts;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One step of a session on its agent, as the agent reports it: pulling the image, preparing, running (with its
 * container id and devices), terminated (with exit code and reason) or failed to start.
 */
public record KernelReport(
        SessionStatus status,
        Optional<Integer> exitCode,
        Optional<String> reason,
        Optional<String> message,
        Optional<String> containerId,
        Map<String, String> devices,
        Optional<SessionRuntimeFacts> runtime,
        Map<String, String> interruption) {

    /** The statuses an agent may report; the others are the control plane's to decide. */
    public static final Set<SessionStatus> REPORTABLE = EnumSet.of(SessionStatus.PULLING, SessionStatus.PREPARING,
            SessionStatus.RUNNING, SessionStatus.TERMINATED, SessionStatus.ERROR);
    /** Why a workload ended, when the agent knows better than its exit code. */
    public static final Set<String> REASONS = Set.of("task-timeout", "user-requested", "self-terminated",
            "failed-to-start", "killed", "folder-staging-failed", "folder-save-failed", AgentInterruption.STATUS_INFO);
    private static final Set<String> KNOWN = Set.of("status", "exit_code", "reason", "message", "container_id", "devices",
            SessionRuntimeFacts.FIELD, AgentInterruption.REPORT_FIELD);
    private static final Pattern CONTAINER = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    public KernelReport {
        devices = Map.copyOf(devices);
        runtime = runtime == null ? Optional.empty() : runtime;
        interruption = interruption == null ? Map.of() : Map.copyOf(interruption);
    }

    /** A step without an interruption's facts. */
    public KernelReport(SessionStatus status, Optional<Integer> exitCode, Optional<String> reason, Optional<String> message,
                        Optional<String> containerId, Map<String, String> devices, Optional<SessionRuntimeFacts> runtime) {
        this(status, exitCode, reason, message, containerId, devices, runtime, Map.of());
    }

    /** A step without runtime facts (an agent before them). */
    public KernelReport(SessionStatus status, Optional<Integer> exitCode, Optional<String> reason, Optional<String> message,
                        Optional<String> containerId, Map<String, String> devices) {
        this(status, exitCode, reason, message, containerId, devices, Optional.empty(), Map.of());
    }

    public static KernelReport parse(RequestFields f) {
        f.refuseUnknown(KNOWN);
        String text = f.requireString("status");
        SessionStatus status;
        try {
            status = SessionStatus.valueOf(text);
        } catch (IllegalArgumentException e) {
            status = null;
        }
        if (status == null || !REPORTABLE.contains(status)) {
            throw DomainException.invalid("status", "must be one of PULLING, PREPARING, RUNNING, TERMINATED, ERROR");
        }
        Optional<Integer> exit = f.optionalInt("exit_code", -255, 255);
        if (status == SessionStatus.TERMINATED && exit.isEmpty()) {
            throw DomainException.invalid("exit_code", "is required when reporting TERMINATED");
        }
        Optional<String> reason = f.optionalString("reason");
        reason.ifPresent(r -> {
            if (!REASONS.contains(r)) {
                throw DomainException.invalid("reason", "must be one of " + new java.util.TreeSet<>(REASONS));
            }
        });
        Optional<String> message = f.optionalString("message").map(m -> m.length() > 2000 ? m.substring(0, 2000) : m);
        Optional<String> container = f.optionalString("container_id");
        container.ifPresent(c -> {
            if (!CONTAINER.matcher(c).matches()) {
                throw DomainException.invalid("container_id", "must be a container or process id");
            }
        });
        Map<String, String> devices = new LinkedHashMap<>(f.optionalStringMap("devices").orElse(Map.of()));
        if (devices.size() > 64) {
            throw DomainException.invalid("devices", "may name at most 64 devices");
        }
        Optional<SessionRuntimeFacts> runtime;
        try {
            Object facts = f.raw().get(SessionRuntimeFacts.FIELD);
            runtime = facts == null ? Optional.empty() : Optional.of(SessionRuntimeFacts.fromWire(facts));
        } catch (AgentReports.Malformed m) {
            throw DomainException.invalidBecause(m.field(), m.getMessage());
        }
        Map<String, String> interruption = Map.of();
        Object facts = f.raw().get(AgentInterruption.REPORT_FIELD);
        if (facts != null) {
            if (status != SessionStatus.ERROR || !reason.filter(AgentInterruption.STATUS_INFO::equals).isPresent()) {
                throw DomainException.invalid(AgentInterruption.REPORT_FIELD, "is only for an ERROR report with reason "
                        + AgentInterruption.STATUS_INFO);
            }
            try {
                interruption = AgentInterruption.reportFactsOf(facts);
            } catch (AgentReports.Malformed m) {
                throw DomainException.invalidBecause(m.field(), m.getMessage());
            }
        }
        return new KernelReport(status, exit, reason, message, container, devices, runtime, interruption);
    }
}
