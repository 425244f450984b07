package dev.sluice.core.usecase;

import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.port.ResourcePolicyStore;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.scheduler.ResourcePolicy;
import java.util.Map;

/** Admin management of resource policies: limits per user, per resource group and for the whole domain. */
public final class ResourcePolicyService {
    private final ResourcePolicyStore policies;

    public ResourcePolicyService(ResourcePolicyStore policies) {
        this.policies = policies;
    }

    public ResourcePolicy put(Principal caller, String scope, RequestFields body) {
        ResourceGroupService.requireAdmin(caller);
        ResourcePolicy policy = ResourcePolicy.parse(body);
        policies.put(ResourcePolicy.validScope(scope), policy);
        return policy;
    }

    public ResourcePolicy get(Principal caller, String scope) {
        ResourceGroupService.requireAdmin(caller);
        return policies.find(ResourcePolicy.validScope(scope))
                .orElseThrow(() -> DomainException.notFound("resource policy for '" + scope + "'"));
    }

    public void delete(Principal caller, String scope) {
        get(caller, scope);
        policies.delete(scope);
    }

    public Map<String, ResourcePolicy> list(Principal caller) {
        ResourceGroupService.requireAdmin(caller);
        return policies.list();
    }
}
