package dev.sluice.local;

import dev.sluice.core.json.JsonValue;
import dev.sluice.core.request.RequestFields;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.json.Json;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.port.SessionStore;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionSpec;
import dev.sluice.core.session.SessionStatus;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

/** The scheduler tick function, invoked through the emulator's Lambda API and served by the local runtime. */
class SchedulerTickIT {

    @Test
    void theTickCancelsSessionsPastThePendingTimeoutEvenWithNoAgent() throws Exception {
        LocalStack local = LocalStack.get();
        ControlPlane plane = local.controlPlane();
        String group = "tick-" + UUID.randomUUID().toString().substring(0, 8);
        plane.groupStore().put(ResourceGroup.fromDefinition(group,
                RequestFields.of(Map.of("scheduler_options", Map.of("pending_timeout", "30m"))), Instant.now(), Instant.now()));
        Instant now = Instant.now();
        Session stale = store(plane, group, now.minus(Duration.ofHours(2)), Map.of());
        Session fresh = store(plane, group, now.minus(Duration.ofMinutes(5)), Map.of());
        Session reserved = store(plane, group, now.minus(Duration.ofHours(2)),
                Map.of("type", "batch", "startup_command", "true", "starts_at", now.plus(Duration.ofHours(1)).toString()));

        try (LambdaClient lambda = LambdaClient.builder().build()) {
            InvokeResponse r = lambda.invoke(b -> b.functionName(local.functionNamed("SchedulerTick")).payload(SdkBytes.fromUtf8String("{}")));
            String payload = r.payload().asString(StandardCharsets.UTF_8);
            assertThat(r.functionError()).as(payload).isNull();
            assertThat(payload).doesNotContain("Mock response");
            Object passes = ((Map<?, ?>) Json.readObjectUnchecked(payload).get("passes")).get(group);
            assertThat(((java.util.List<?>) passes)).isNotEmpty();
            assertThat(((Map<?, ?>) ((java.util.List<?>) passes).get(0)).get("cancelled")).isEqualTo(1);
        }

        Session cancelled = plane.sessionStore().find(stale.id()).orElseThrow();
        assertThat(cancelled.status()).isEqualTo(SessionStatus.CANCELLED);
        assertThat(cancelled.statusInfo()).isEqualTo("pending-timeout");
        assertThat(cancelled.statusData().fields()).containsEntry("pending_timeout", JsonValue.of("30m"));
        assertThat(plane.sessionStore().find(fresh.id()).orElseThrow().status()).isEqualTo(SessionStatus.PENDING);
        assertThat(plane.sessionStore().find(reserved.id()).orElseThrow().status()).isEqualTo(SessionStatus.PENDING);
    }

    private static Session store(ControlPlane plane, String group, Instant createdAt, Map<String, Object> extra) {
        Map<String, Object> body = new java.util.HashMap<>(Map.of("image", "python:3.12", "resource_slots", Map.of("cpu", 1, "mem", "1g")));
        body.putAll(extra);
        Session s = Session.enqueue(UUID.randomUUID().toString(), "tick-owner", SessionSpec.parse(RequestFields.of(body), createdAt), group, createdAt);
        assertThat(plane.sessionStore().create(s, Optional.empty())).isInstanceOf(SessionStore.CreateOutcome.Created.class);
        return s;
    }
}
