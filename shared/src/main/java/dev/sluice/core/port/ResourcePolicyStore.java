package dev.sluice.core.port;

import dev.sluice.core.scheduler.ResourcePolicy;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;

/** Resource policies by scope ({@code domain}, {@code user:<subject>}, {@code group:<name>}). */
public interface ResourcePolicyStore {
    void put(String scope, ResourcePolicy policy);

    Optional<ResourcePolicy> find(String scope);

    /** The policies of the scopes that have one. */
    Map<String, ResourcePolicy> findAll(Collection<String> scopes);

    void delete(String scope);

    Map<String, ResourcePolicy> list();
}
