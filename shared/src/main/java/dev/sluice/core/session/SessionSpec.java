package dev.sluice.core.session;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.slots.ResourceSlots;
import dev.sluice.core.time.DurationText;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** What a user asked for when creating a session, validated field by field (REFERENCE §1–2). */
public record SessionSpec(
        Optional<String> name,
        SessionType type,
        String image,
        Optional<String> requestedResourceGroup,
        ResourceSlots requestedSlots,
        Optional<String> startupCommand,
        Optional<Instant> startsAt,
        Optional<Duration> batchTimeout,
        List<String> dependencies,
        int priority,
        Optional<String> callbackUrl,
        ClusterMode clusterMode,
        int clusterSize,
        Map<String, String> environment,
        List<String> mounts,
        List<String> tags,
        List<FolderMount> folderMounts,
        Optional<RetryPolicy> retry) {

    public static final int DEFAULT_PRIORITY = 10;
    private static final Set<String> KNOWN = Set.of("name", "type", "image", "resource_group", "resource_slots",
            "startup_command", "starts_at", "batch_timeout", "dependencies", "priority", "callback_url",
            "cluster_mode", "cluster_size", "environment", "mounts", "tags", RetryPolicy.FIELD);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern IMAGE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/:@-]{0,511}");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

    public SessionSpec {
        dependencies = List.copyOf(dependencies);
        environment = Map.copyOf(environment);
        mounts = List.copyOf(mounts);
        tags = List.copyOf(tags);
        folderMounts = List.copyOf(folderMounts);
        retry = retry == null ? Optional.empty() : retry;
    }

    /** A spec without retry rules. */
    public SessionSpec(Optional<String> name, SessionType type, String image, Optional<String> requestedResourceGroup,
                       ResourceSlots requestedSlots, Optional<String> startupCommand, Optional<Instant> startsAt,
                       Optional<Duration> batchTimeout, List<String> dependencies, int priority, Optional<String> callbackUrl,
                       ClusterMode clusterMode, int clusterSize, Map<String, String> environment, List<String> mounts,
                       List<String> tags, List<FolderMount> folderMounts) {
        this(name, type, image, requestedResourceGroup, requestedSlots, startupCommand, startsAt, batchTimeout, dependencies,
                priority, callbackUrl, clusterMode, clusterSize, environment, mounts, tags, folderMounts, Optional.empty());
    }

    /** Parses a create request; {@code now} resolves a relative {@code starts_at} such as {@code 30m}. */
    public static SessionSpec parse(RequestFields f, Instant now) {
        f.refuseUnknownOrNull(KNOWN);

        Optional<String> name = f.optionalString("name");
        name.ifPresent(n -> {
            if (!NAME.matcher(n).matches()) {
                throw DomainException.invalid("name", "must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit");
            }
        });
        SessionType type = f.optionalString("type")
                .map(t -> SessionType.fromWire(t).orElseThrow(() -> DomainException.invalid("type",
                        "must be interactive, batch or inference, not '" + t + "'")))
                .orElse(SessionType.INTERACTIVE);
        String image = f.requireString("image");
        if (!IMAGE.matcher(image).matches()) {
            throw DomainException.invalid("image", "must be a container image reference such as 'cr.example/python:3.12'");
        }
        Optional<String> group = f.optionalString("resource_group");
        ResourceSlots slots = f.optionalObject("resource_slots")
                .map(ResourceSlots::parse)
                .orElse(ResourceSlots.EMPTY);
        if (slots.get(ResourceSlots.CPU).signum() == 0 || slots.get(ResourceSlots.MEM).signum() == 0) {
            throw DomainException.invalid("resource_slots", "must request at least some cpu and mem");
        }
        Optional<String> command = f.optionalString("startup_command").map(String::strip).filter(c -> !c.isEmpty());
        if (f.has("startup_command") && command.isEmpty()) {
            throw DomainException.invalid("startup_command", "must not be blank");
        }
        if (type == SessionType.BATCH && command.isEmpty()) {
            throw DomainException.invalid("startup_command", "is required for a batch session");
        }
        command.ifPresent(c -> {
            if (c.length() > 8192) {
                throw DomainException.invalid("startup_command", "must be at most 8192 characters");
            }
        });
        Optional<Instant> startsAt = f.optionalString("starts_at").map(s -> parseStartsAt(s, now));
        Optional<Duration> batchTimeout = f.optionalDurationText("batch_timeout").map(t -> DurationText.parse(t)
                .filter(d -> !d.isZero())
                .orElseThrow(() -> DomainException.invalid("batch_timeout", "must be a positive duration such as 3600, 90s, 30m or 2h")));
        if ((startsAt.isPresent() || batchTimeout.isPresent()) && type != SessionType.BATCH) {
            throw DomainException.invalid(startsAt.isPresent() ? "starts_at" : "batch_timeout", "is only for batch sessions");
        }
        List<String> deps = f.optionalStringList("dependencies").orElse(List.of());
        for (int i = 0; i < deps.size(); i++) {
            if (!SessionId.isWellFormed(deps.get(i))) {
                throw DomainException.invalid("dependencies[" + i + "]", "must be a session id");
            }
        }
        if (deps.size() > 64) {
            throw DomainException.invalid("dependencies", "must list at most 64 sessions");
        }
        int priority = f.optionalInt("priority", 0, 100).orElse(DEFAULT_PRIORITY);
        Optional<String> callback = f.optionalString("callback_url").map(SessionSpec::checkCallbackUrl);
        ClusterMode mode = f.optionalString("cluster_mode")
                .map(m -> ClusterMode.fromWire(m).orElseThrow(() -> DomainException.invalid("cluster_mode",
                        "must be single-node or multi-node, not '" + m + "'")))
                .orElse(ClusterMode.SINGLE_NODE);
        int size = f.optionalInt("cluster_size", 1, 64).orElse(1);
        if (mode == ClusterMode.MULTI_NODE && size > dev.sluice.core.session.SessionChange.MAX_KERNELS) {
            throw DomainException.invalid("cluster_size", "must be at most " + dev.sluice.core.session.SessionChange.MAX_KERNELS
                    + " for a multi-node session (its placement must fit in one DynamoDB transaction of "
                    + dev.sluice.core.session.SessionChange.MAX_TRANSACTION_ITEMS + " items)");
        }
        Map<String, String> env = f.optionalStringMap("environment").orElse(Map.of());
        env.keySet().forEach(k -> {
            if (!ENV_NAME.matcher(k).matches()) {
                throw DomainException.invalid("environment." + k, "is not a valid environment variable name");
            }
        });
        List<String> mounts = mounts(f.raw().get("mounts"));
        List<String> tags = f.optionalStringList("tags").orElse(List.of());
        if (tags.size() > 32) {
            throw DomainException.invalid("tags", "must list at most 32 tags");
        }
        Optional<RetryPolicy> retry = f.optionalObject(RetryPolicy.FIELD).map(RetryPolicy::parse);
        return new SessionSpec(name, type, image, group, slots, command, startsAt, batchTimeout, deps, priority,
                callback, mode, size, env, mounts, tags, List.of(), retry);
    }

    private static final Pattern MOUNT_PATH = Pattern.compile("/[A-Za-z0-9._/-]{0,254}");

    /**
     * Mounts as requested: folder names, {@code name:/path}, or {@code {"name", "path"}} objects; returned as
     * {@code name} or {@code name:/path}, with the folders resolved later (they must exist and be the caller's).
     */
    static List<String> mounts(Object raw) {
        if (raw == null) {
            return List.of();
        }
        if (!(raw instanceof List<?> list)) {
            throw DomainException.invalid("mounts", "must be a list of folder names, \"name:/path\" strings or {name, path} objects");
        }
        if (list.size() > 32) {
            throw DomainException.invalid("mounts", "must list at most 32 folders");
        }
        List<String> out = new java.util.ArrayList<>();
        Map<String, String> variables = new java.util.HashMap<>();
        for (int i = 0; i < list.size(); i++) {
            String field = "mounts[" + i + "]";
            String name;
            String path = null;
            if (list.get(i) instanceof String text) {
                int colon = text.indexOf(':');
                name = colon < 0 ? text : text.substring(0, colon);
                path = colon < 0 ? null : text.substring(colon + 1);
            } else if (list.get(i) instanceof Map<?, ?> m && m.get("name") instanceof String n
                    && (m.get("path") == null || m.get("path") instanceof String) && m.keySet().stream().allMatch(k -> k.equals("name") || k.equals("path"))) {
                name = n;
                path = (String) m.get("path");
            } else {
                throw DomainException.invalid(field, "must be a folder name, \"name:/path\" or {name, path}");
            }
            if (!NAME.matcher(name).matches()) {
                throw DomainException.invalid(field, "names '" + name + "', which is not a folder name");
            }
            if (path != null && (!MOUNT_PATH.matcher(path).matches() || path.contains("//") || path.contains("/./") || path.contains("/../")
                    || path.endsWith("/..") || path.endsWith("/.") || path.equals("/"))) {
                throw DomainException.invalid(field, "must have an absolute, normalized mount path such as /home/work/data");
            }
            String variable = mountVariable(name);
            String other = variables.putIfAbsent(variable, name);
            if (other != null && !other.equals(name)) {
                throw DomainException.invalid(field, "folders '" + other + "' and '" + name + "' would both be " + variable
                        + " in the workload's environment; mount at most one of them");
            }
            out.add(path == null ? name : name + ":" + path);
        }
        return out;
    }

    /**
     * The environment variable that tells a workload where a folder is ({@code SLUICE_MOUNT_} and the name in upper
     * case, every other character than a letter or digit an underscore), as the agent's process runtime sets it.
     */
    public static String mountVariable(String name) {
        return "SLUICE_MOUNT_" + name.toUpperCase(java.util.Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    /** The mounts' folder names and paths, as requested. */
    public List<String[]> mountRequests() {
        return mounts.stream().map(m -> {
            int colon = m.indexOf(':');
            String name = colon < 0 ? m : m.substring(0, colon);
            return new String[] {name, colon < 0 ? FolderMount.defaultPath(name) : m.substring(colon + 1)};
        }).toList();
    }

    public SessionSpec withFolderMounts(List<FolderMount> resolved) {
        return new SessionSpec(name, type, image, requestedResourceGroup, requestedSlots, startupCommand, startsAt, batchTimeout,
                dependencies, priority, callbackUrl, clusterMode, clusterSize, environment, mounts, tags, resolved, retry);
    }

    private static Instant parseStartsAt(String text, Instant now) {
        Optional<Duration> relative = DurationText.parse(text);
        if (relative.isPresent()) {
            return now.plus(relative.get());
        }
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            throw DomainException.invalid("starts_at", "must be an ISO-8601 time with offset (2026-01-02T03:04:05Z) or a relative duration such as 30m");
        }
    }

    private static String checkCallbackUrl(String url) {
        try {
            URI uri = new URI(url);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("https") || scheme.equals("http")) || uri.getHost() == null) {
                throw DomainException.invalid("callback_url", "must be an absolute http(s) URL");
            }
            return url;
        } catch (java.net.URISyntaxException e) {
            throw DomainException.invalid("callback_url", "must be an absolute http(s) URL");
        }
    }
}
