package dev.sluice.core.scheduler;

import dev.sluice.core.request.RequestFields;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.error.DomainException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResourcePolicyTest {
    @Test
    void aPolicyWithoutLimitsIsUnlimited() {
        ResourcePolicy p = ResourcePolicy.parse(RequestFields.of(Map.of("max_concurrent_sessions", 3, "max_total_slots", Map.of("cuda.device", 8))));
        assertThat(p.isUnlimited()).isFalse();
        assertThat(ResourcePolicy.parse(RequestFields.of(Map.of())).isUnlimited()).isTrue();
    }

    @Test
    void badFieldsAndScopesAreRefusedByName() {
        assertThatThrownBy(() -> ResourcePolicy.parse(RequestFields.of(Map.of("max_concurrent_sessions", -1))))
                .satisfies(e -> assertThat(((DomainException) e).field()).contains("max_concurrent_sessions"));
        assertThatThrownBy(() -> ResourcePolicy.parse(RequestFields.of(Map.of("max_total_slots", Map.of("gpu", 1)))))
                .satisfies(e -> assertThat(((DomainException) e).field()).contains("max_total_slots.gpu"));
        assertThatThrownBy(() -> ResourcePolicy.parse(RequestFields.of(Map.of("max_sessions", 1))))
                .satisfies(e -> assertThat(((DomainException) e).field()).contains("max_sessions"));
        for (String bad : new String[] {"", "user:", "group:Upper", "everyone", "user:a b"}) {
            assertThatThrownBy(() -> ResourcePolicy.validScope(bad)).isInstanceOf(DomainException.class);
        }
        assertThat(ResourcePolicy.validScope("user:7288465a-6972")).isEqualTo("user:7288465a-6972");
    }
}
