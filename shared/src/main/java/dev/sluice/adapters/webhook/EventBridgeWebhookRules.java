package dev.sluice.adapters.webhook;

import dev.sluice.adapters.json.Json;
import dev.sluice.core.port.WebhookRules;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import software.amazon.awssdk.services.eventbridge.model.InputTransformer;
import software.amazon.awssdk.services.eventbridge.model.LimitExceededException;
import software.amazon.awssdk.services.eventbridge.model.PutTargetsResponse;
import software.amazon.awssdk.services.eventbridge.model.ResourceNotFoundException;
import software.amazon.awssdk.services.eventbridge.model.Target;

/**
 * One rule per subscription on the Sluice bus, named {@code sluice-webhook-<id>}, whose pattern is the subscription's
 * filter and whose one target is the delivery queue (the InputTransformer tags each event with the subscription id).
 */
public final class EventBridgeWebhookRules implements WebhookRules {
    public static final String RULE_PREFIX = "sluice-webhook-";
    private static final String TARGET_ID = "delivery-queue";
    private final EventBridgeClient events;
    private final String busName;
    private final String queueArn;

    public EventBridgeWebhookRules(EventBridgeClient events, String busName, String queueArn) {
        this.events = events;
        this.busName = busName;
        this.queueArn = queueArn;
    }

    public static String ruleName(String subscriptionId) {
        return RULE_PREFIX + subscriptionId;
    }

    @Override
    public void put(String subscriptionId, dev.sluice.core.json.JsonObject eventPattern) {
        String rule = ruleName(subscriptionId);
        try {
            events.putRule(r -> r.name(rule).eventBusName(busName).eventPattern(Json.write(Json.plain(eventPattern)))
                    .description("Sluice webhook subscription " + subscriptionId));
        } catch (LimitExceededException full) {
            throw new DomainException(ErrorCode.CONFLICT, null,
                    "The event bus holds no more subscription rules (the EventBridge rules-per-bus quota); try again later.");
        }
        PutTargetsResponse response = events.putTargets(r -> r.rule(rule).eventBusName(busName).targets(Target.builder()
                .id(TARGET_ID).arn(queueArn)
                .inputTransformer(InputTransformer.builder().inputPathsMap(WebhookCodec.inputPaths())
                        .inputTemplate(WebhookCodec.inputTemplate(subscriptionId)).build())
                .build()));
        if (response.failedEntryCount() != null && response.failedEntryCount() > 0) {
            throw new IllegalStateException("EventBridge refused the target of rule " + rule + ": "
                    + response.failedEntries().get(0).errorCode());
        }
    }

    @Override
    public void delete(String subscriptionId) {
        String rule = ruleName(subscriptionId);
        try {
            events.removeTargets(r -> r.rule(rule).eventBusName(busName).ids(TARGET_ID));
            events.deleteRule(r -> r.name(rule).eventBusName(busName));
        } catch (ResourceNotFoundException alreadyGone) {
            // a delete retried after the rule went: nothing left to remove
        }
    }
}
