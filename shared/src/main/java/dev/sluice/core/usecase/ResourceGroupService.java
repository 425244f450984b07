package dev.sluice.core.usecase;

import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.port.ResourceGroupStore;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;

/** Admin management of resource groups. */
public final class ResourceGroupService {
    private final ResourceGroupStore groups;
    private final Clock clock;

    public ResourceGroupService(ResourceGroupStore groups, Clock clock) {
        this.groups = groups;
        this.clock = clock;
    }

    public record Written(ResourceGroup group, boolean created) {
    }

    /** Creates or replaces a group from its full definition; admins only. */
    public Written put(Principal caller, String name, Map<String, Object> body) {
        requireAdmin(caller);
        ResourceGroup.validName(name);
        Instant now = clock.instant();
        var existing = groups.find(name);
        ResourceGroup group = ResourceGroup.fromDefinition(name, body, existing.map(ResourceGroup::createdAt).orElse(now), now);
        groups.put(group);
        return new Written(group, existing.isEmpty());
    }

    public ResourceGroup get(Principal caller, String name) {
        return groups.find(name)
                .filter(g -> caller.isAdmin() || (g.active() && g.isPublic()))
                .orElseThrow(() -> DomainException.notFound("no resource group '" + name + "'"));
    }

    public static void requireAdmin(Principal caller) {
        if (!caller.isAdmin()) {
            throw new DomainException(ErrorCode.FORBIDDEN, null, "this operation needs the admin role");
        }
    }
}
