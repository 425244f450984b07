package dev.sluice.functions.api;

import dev.sluice.core.agent.Agent;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** The JSON shapes of the API (documented in infra/openapi/sluice.yaml). */
final class Views {
    private Views() {
    }

    static Map<String, Object> session(Session s) {
        SessionSpec spec = s.spec();
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("id", s.id());
        v.put("name", spec.name().orElse(null));
        v.put("owner", s.owner());
        v.put("type", spec.type().wireName());
        v.put("image", spec.image());
        v.put("resource_group", s.resourceGroup());
        v.put("status", s.status().name());
        v.put("status_info", s.statusInfo());
        v.put("status_data", dev.sluice.adapters.json.Json.plain(s.statusData().json()));
        v.put("status_history", history(s));
        v.put("resource_slots", spec.requestedSlots().toStrings());
        v.put("occupied_slots", s.occupiedSlots().toStrings());
        // A session re-queued by a retry has no agent until it is placed again (its attempts say where it ran).
        v.put("agent_id", s.status() == dev.sluice.core.session.SessionStatus.PENDING ? null : s.agentId().orElse(null));
        v.put("result", s.result().name());
        v.put("priority", spec.priority());
        v.put("startup_command", spec.startupCommand().orElse(null));
        v.put("starts_at", time(spec.startsAt()));
        v.put("batch_timeout", spec.batchTimeout().map(Duration::getSeconds).orElse(null));
        v.put("dependencies", spec.dependencies());
        v.put("callback_url", spec.callbackUrl().orElse(null));
        v.put("cluster_mode", spec.clusterMode().wireName());
        v.put("cluster_size", spec.clusterSize());
        v.put("environment", spec.environment());
        v.put("mounts", spec.mounts());
        v.put("folder_mounts", spec.folderMounts().stream().map(m -> {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("folder_id", m.folderId());
            f.put("name", m.name());
            f.put("prefix", m.prefix());
            f.put("permission", m.permission());
            f.put("mount_path", m.mountPath());
            return f;
        }).toList());
        v.put("tags", spec.tags());
        v.put("created_at", s.createdAt().toString());
        v.put("started_at", time(s.startedAt()));
        v.put("terminated_at", time(s.terminatedAt()));
        v.put("retry", spec.retry().map(r -> dev.sluice.adapters.json.Json.plain(r.toWire())).orElse(null));
        v.put("attempt", s.attempt());
        v.put("on_demand_only", s.onDemandOnly());
        v.put("attempts", s.attempts().stream().map(a -> dev.sluice.adapters.json.Json.plain(a.toWire())).toList());
        v.put("sequence", s.sequence());
        v.put(dev.sluice.protocol.SessionRuntimeFacts.FIELD, s.runtime().toWire()); // the record's own mapping
        return v;
    }

    /**
     * A pending session with why it waits (REFERENCE §4, beyond): the reason code, whether it is waiting or can never
     * run as asked, a message, its place in the queue, and an estimated start where one is honest (a reserved start).
     */
    static Map<String, Object> session(Session s, Optional<Integer> queuePosition) {
        Map<String, Object> v = session(s);
        if (s.status() == dev.sluice.core.session.SessionStatus.PENDING) {
            Map<String, Object> pending = new LinkedHashMap<>();
            Map<String, Object> data = dev.sluice.adapters.json.Json.plain(s.statusData().json());
            pending.put("reason", data.getOrDefault("reason", "waiting-for-scheduler"));
            pending.put("waiting", data.getOrDefault("waiting", true));
            pending.put("message", data.getOrDefault("message", "not yet considered by the scheduler"));
            pending.put("queue_position", queuePosition.orElse(null));
            pending.put("estimated_start", data.getOrDefault("estimated_start", s.spec().startsAt().map(Instant::toString).orElse(null)));
            pending.put("retries", data.getOrDefault("retries", 0));
            pending.put("last_try", data.get("last_try"));
            if (data.get("provisioning") != null) {
                pending.put("provisioning", data.get("provisioning"));
            }
            v.put("pending", pending);
        }
        return v;
    }

    static java.util.List<Map<String, Object>> history(Session s) {
        return s.statusHistory().stream()
                .map(c -> Map.<String, Object>of("status", c.status().name(), "at", c.at().toString())).toList();
    }

    /** A page of a mounted folder's files for its agent: {@code items: [{path, size, url}], next_cursor}. */
    static Map<String, Object> mountFiles(dev.sluice.core.usecase.MountTransfers.MountPage page) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("items", page.items().stream().map(f -> {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("path", f.path());
            v.put("size", f.size());
            v.put("url", f.url());
            return v;
        }).toList());
        out.put("next_cursor", page.nextCursor().orElse(null));
        return out;
    }

    /** A presigned PUT into a writable mount: {@code path, method: PUT, url, expires_in} (seconds). */
    static Map<String, Object> mountUpload(dev.sluice.core.usecase.MountTransfers.MountUpload u) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("path", u.path());
        v.put("method", "PUT");
        v.put("url", u.url());
        v.put("expires_in", u.expiresIn().toSeconds());
        return v;
    }

    static Map<String, Object> agent(Agent a) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("id", a.id());
        v.put("resource_group", a.resourceGroup());
        v.put("status", a.status().name());
        v.put("schedulable", a.schedulable());
        v.put("available_slots", a.availableSlots().toStrings());
        v.put("occupied_slots", a.occupiedSlots().toStrings());
        v.put("free_slots", a.freeSlots().toStrings());
        v.put("architecture", a.architecture());
        v.put("version", a.version());
        v.put("compute_plugins", a.computePlugins());
        v.put("first_contact", a.firstContact().toString());
        v.put("last_heartbeat", a.lastHeartbeat().toString());
        a.interruption().ifPresent(i -> {
            Map<String, Object> interruption = new LinkedHashMap<>();
            interruption.put("source", i.source());
            i.deadline().ifPresent(d -> interruption.put("deadline", d.toString()));
            interruption.put("noticed_at", i.noticedAt().toString());
            v.put("interruption", interruption);
        });
        return v;
    }

    static Map<String, Object> resourceGroup(ResourceGroup g) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("name", g.name());
        v.put("description", g.description());
        v.put("active", g.active());
        v.put("is_public", g.isPublic());
        v.put("scheduler", g.scheduler().wireName());
        v.put("scheduler_options", schedulerOptions(g.schedulerOptions()));
        v.put("created_at", g.createdAt().toString());
        v.put("updated_at", g.updatedAt().toString());
        return v;
    }

    /** A group's scheduler options as an admin writes them: wire names, the timeout as duration text. */
    static Map<String, Object> schedulerOptions(dev.sluice.core.group.SchedulerOptions o) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("allowed_session_types", o.allowedSessionTypes().stream().map(dev.sluice.core.session.SessionType::wireName).toList());
        v.put("pending_timeout", dev.sluice.core.time.DurationText.format(o.pendingTimeout()));
        v.put("agent_selection_strategy", o.agentSelectionStrategy().wireName());
        Map<String, Object> config = new LinkedHashMap<>();
        o.config().numRetriesToSkip().ifPresent(n -> config.put("num_retries_to_skip", n));
        v.put("config", config);
        return v;
    }

    /** A group's instance catalog as an admin writes it (prices as decimal text in dollars an hour), with the group's name. */
    static Map<String, Object> fleet(String group, dev.sluice.core.fleet.FleetCatalog c) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("resource_group", group);
        v.put("instance_types", c.instanceTypes().stream().map(Views::instanceType).toList());
        v.put("subnets", c.subnets().stream().map(s -> Map.of("zone", s.zone(), "subnet_id", s.subnetId())).toList());
        v.put("min_instances", c.minInstances());
        v.put("max_instances", c.maxInstances());
        v.put("idle_duration", dev.sluice.core.time.DurationText.format(c.idleDuration()));
        v.put("price_source", c.priceSource());
        v.put("right_sizing", c.rightSizing());
        return v;
    }

    private static Map<String, Object> instanceType(dev.sluice.core.fleet.InstanceType t) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("name", t.name());
        t.accelerator().ifPresent(a -> v.put("accelerator", a));
        v.put("slots", t.slots().toStrings());
        v.put("purchase_options", t.purchaseOptions().stream().map(dev.sluice.core.fleet.PurchaseOption::wireName).toList());
        t.onDemandMicroUsd().ifPresent(p -> v.put("on_demand_price", dev.sluice.core.fleet.FleetCatalog.dollars(p)));
        t.spotMicroUsd().ifPresent(p -> v.put("spot_price", dev.sluice.core.fleet.FleetCatalog.dollars(p)));
        v.put("max_instances", t.maxInstances());
        v.put("zones", t.zones());
        return v;
    }

    private static String time(Optional<Instant> t) {
        return t.map(Instant::toString).orElse(null);
    }
}
