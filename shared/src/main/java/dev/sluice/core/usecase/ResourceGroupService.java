package dev.sluice.core.usecase;

import dev.sluice.core.request.RequestFields;

import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import dev.sluice.core.fleet.FleetCatalog;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.port.ResourceGroupStore;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;

/** Admin management of resource groups. */
public final class ResourceGroupService {
    private final ResourceGroupStore groups;
    private final dev.sluice.core.port.EventPublisher events;
    private final Clock clock;

    public ResourceGroupService(ResourceGroupStore groups, dev.sluice.core.port.EventPublisher events, Clock clock) {
        this.groups = groups;
        this.events = events;
        this.clock = clock;
    }

    private ResourceGroup changed(ResourceGroup g) {
        events.publishGroupChanged(g.name(), g.active(), g.updatedAt());
        return g;
    }

    public record Written(ResourceGroup group, boolean created) {
    }

    /** Creates or replaces a group from its full definition; admins only. */
    public Written put(Principal caller, String name, RequestFields body) {
        requireAdmin(caller);
        ResourceGroup.validName(name);
        Instant now = clock.instant();
        var existing = groups.find(name);
        ResourceGroup group = ResourceGroup.fromDefinition(name, body, existing.map(ResourceGroup::createdAt).orElse(now), now);
        groups.put(group);
        return new Written(changed(group), existing.isEmpty());
    }

    /** Creates a group whose name is in the body; a taken name is a conflict. */
    public ResourceGroup create(Principal caller, RequestFields body) {
        requireAdmin(caller);
        Object name = body.raw().get("name");
        if (!(name instanceof String n)) {
            throw DomainException.invalid("name", "is required and must be a string");
        }
        Map<String, Object> definition = new java.util.LinkedHashMap<>(body.raw());
        definition.remove("name");
        Instant now = clock.instant();
        ResourceGroup group = ResourceGroup.fromDefinition(ResourceGroup.validName(n), RequestFields.of(definition), now, now);
        if (!groups.create(group)) {
            throw new DomainException(ErrorCode.CONFLICT, "name", "A resource group named '" + n + "' exists already; choose another name.");
        }
        return changed(group);
    }

    /** Changes some fields of a group; the result is validated as a whole, and a concurrent change is a conflict. */
    public ResourceGroup update(Principal caller, String name, RequestFields patch) {
        requireAdmin(caller);
        if (patch.raw().containsKey("name")) {
            throw DomainException.invalid("name", "cannot be changed");
        }
        if (!ResourceGroup.isValidName(name)) {
            throw DomainException.notFound("resource group '" + name + "'");
        }
        ResourceGroup current = groups.find(name).orElseThrow(() -> DomainException.notFound("resource group '" + name + "'"));
        Instant now = clock.instant();
        ResourceGroup next = current.patched(patch, now.isAfter(current.updatedAt()) ? now : current.updatedAt().plusNanos(1000));
        if (!groups.replace(next, current.updatedAt())) {
            throw new DomainException(ErrorCode.CONFLICT, null, "The resource group changed meanwhile; read it again and retry.");
        }
        return changed(next);
    }

    /** Deactivates a group: it accepts no new session; existing ones are unaffected. */
    public ResourceGroup deactivate(Principal caller, String name) {
        return update(caller, name, RequestFields.of(Map.of("active", false)));
    }

    /** The groups the caller may use (active and public, with the session types each accepts); admins see all. */
    public java.util.List<ResourceGroup> list(Principal caller) {
        return groups.list().stream().filter(g -> caller.isAdmin() || (g.active() && g.isPublic())).toList();
    }

    public ResourceGroup get(Principal caller, String name) {
        if (!ResourceGroup.isValidName(name)) {
            throw DomainException.notFound("resource group '" + name + "'");
        }
        return groups.find(name)
                .filter(g -> caller.isAdmin() || (g.active() && g.isPublic()))
                .orElseThrow(() -> DomainException.notFound("resource group '" + name + "'"));
    }

    /** The group's instance catalog (admins); 404 when the group or its catalog does not exist. */
    public FleetCatalog fleet(Principal caller, String name) {
        requireAdmin(caller);
        if (!ResourceGroup.isValidName(name) || groups.find(name).isEmpty()) {
            throw DomainException.notFound("resource group '" + name + "'");
        }
        return groups.fleet(name).orElseThrow(() -> DomainException.notFound("instance catalog of resource group '" + name + "'"));
    }

    /**
     * Replaces the group's instance catalog (admins) with a full definition, validated field by field; a refused
     * definition changes nothing. 404 when the group does not exist.
     */
    public FleetCatalog putFleet(Principal caller, String name, RequestFields body) {
        requireAdmin(caller);
        if (!ResourceGroup.isValidName(name) || groups.find(name).isEmpty()) {
            throw DomainException.notFound("resource group '" + name + "'");
        }
        FleetCatalog catalog = FleetCatalog.parse(body);
        if (!groups.saveFleet(name, catalog)) {
            throw DomainException.notFound("resource group '" + name + "'");
        }
        return catalog;
    }

    public static void requireAdmin(Principal caller) {
        if (!caller.isAdmin()) {
            throw new DomainException(ErrorCode.FORBIDDEN, null, "This operation needs the admin role.");
        }
    }
}
