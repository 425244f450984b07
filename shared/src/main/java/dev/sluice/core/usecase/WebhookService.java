package dev.sluice.core.usecase;

import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import dev.sluice.core.port.CallbackSecrets;
import dev.sluice.core.port.DeliveryLog;
import dev.sluice.core.port.DeliveryQueue;
import dev.sluice.core.port.IdGenerator;
import dev.sluice.core.port.WebhookRules;
import dev.sluice.core.port.WebhookStore;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.session.SessionId;
import dev.sluice.core.time.DurationText;
import dev.sluice.core.webhook.DeliveryAttempt;
import dev.sluice.core.webhook.WebhookEventType;
import dev.sluice.core.webhook.WebhookFilter;
import dev.sluice.core.webhook.WebhookMessage;
import dev.sluice.core.json.JsonObject;
import dev.sluice.core.webhook.WebhookSignature;
import dev.sluice.core.webhook.WebhookSubscription;
import dev.sluice.core.webhook.WebhookTargets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/** Users' webhook subscriptions: create, read, change, delete, rotate the secret, test, see deliveries, replay. */
public final class WebhookService {
    public static final int MAX_PER_OWNER = 25;
    public static final Duration DEFAULT_GRACE = Duration.ofHours(24);
    public static final Duration MAX_GRACE = Duration.ofDays(7);
    private static final Set<String> CREATE_FIELDS = Set.of("url", "description", "event_types", "filter");
    private static final Set<String> ROTATE_FIELDS = Set.of("grace_period");
    private static final Pattern SUBSCRIPTION_ID = Pattern.compile("wh_[0-9a-f-]{36}");
    private static final Pattern WEBHOOK_ID = Pattern.compile("msg_[A-Za-z0-9._-]{1,100}");
    /** EventBridge refuses event patterns longer than this. */
    static final int MAX_PATTERN_CHARS = 4096;

    private final WebhookStore store;
    private final WebhookRules rules;
    private final DeliveryQueue queue;
    private final DeliveryLog log;
    private final WebhookTargets targets;
    private final IdGenerator ids;
    private final Supplier<byte[]> secretBytes;
    private final CallbackSecrets callbackSecrets;
    private final Clock clock;

    /** The owner of a session, by id (empty when there is none): who may see the deliveries to its callback_url. */
    private final Function<String, Optional<String>> sessionOwner;

    public WebhookService(WebhookStore store, WebhookRules rules, DeliveryQueue queue, DeliveryLog log, WebhookTargets targets,
                          CallbackSecrets callbackSecrets, Function<String, Optional<String>> sessionOwner,
                          IdGenerator ids, Supplier<byte[]> secretBytes, Clock clock) {
        this.callbackSecrets = callbackSecrets;
        this.sessionOwner = sessionOwner;
        this.store = store;
        this.rules = rules;
        this.queue = queue;
        this.log = log;
        this.targets = targets;
        this.ids = ids;
        this.secretBytes = secretBytes;
        this.clock = clock;
    }

    /** A subscription with the secret that is shown once (at creation and at rotation). */
    public record WithSecret(WebhookSubscription subscription, String secret) {
    }

    public WithSecret create(Principal caller, RequestFields f) {
        f.refuseUnknownOrNull(CREATE_FIELDS);
        String url = f.requireString("url");
        targets.check("url", url);
        String description = description(f).orElse("");
        WebhookFilter filter = checkedSize(WebhookFilter.parse(f, WebhookFilter.everything()), caller.subject());
        Instant now = clock.instant();
        String secret = WebhookSignature.secretOf(secretBytes.get());
        WebhookSubscription sub = new WebhookSubscription(WebhookSubscription.ID_PREFIX + ids.newId(), caller.subject(), url,
                description, filter, secret, Optional.empty(), Optional.empty(), now, now, 1);
        if (!store.create(sub, MAX_PER_OWNER)) {
            throw new DomainException(ErrorCode.CONFLICT, "url", "You already have " + MAX_PER_OWNER
                    + " webhook subscriptions, the most one user may have; delete one before subscribing another url.");
        }
        try {
            rules.put(sub.id(), filter.eventPattern(sub.owner()));
        } catch (RuntimeException e) {
            store.delete(sub);
            throw e;
        }
        return new WithSecret(sub, secret);
    }

    public List<WebhookSubscription> list(Principal caller) {
        return store.listByOwner(caller.subject());
    }

    /** The caller's own subscription; anyone else's is "not found". */
    public WebhookSubscription get(Principal caller, String id) {
        if (!SUBSCRIPTION_ID.matcher(id).matches()) {
            throw DomainException.notFound("webhook subscription " + id);
        }
        return store.find(id).filter(s -> s.owner().equals(caller.subject()))
                .orElseThrow(() -> DomainException.notFound("webhook subscription " + id));
    }

    public WebhookSubscription update(Principal caller, String id, RequestFields f) {
        f.refuseUnknownOrNull(CREATE_FIELDS);
        WebhookSubscription current = get(caller, id);
        String url = f.optionalString("url").orElse(current.url());
        if (!url.equals(current.url())) {
            targets.check("url", url);
        }
        String description = description(f).orElse(current.description());
        WebhookFilter filter = checkedSize(WebhookFilter.parse(f, current.filter()), current.owner());
        WebhookSubscription updated = current.withSettings(url, description, filter, clock.instant());
        if (!store.update(updated, current.version())) {
            throw new DomainException(ErrorCode.CONFLICT, null, "The subscription was changed meanwhile; read it again and retry.");
        }
        if (!filter.equals(current.filter())) {
            rules.put(id, filter.eventPattern(current.owner()));
        }
        return updated;
    }

    public WebhookSubscription delete(Principal caller, String id) {
        WebhookSubscription current = get(caller, id);
        rules.delete(id);
        store.delete(current);
        return current;
    }

    /** A secret rotation request: how long the previous secret stays valid ({@code grace_period}, default 24h). */
    public record SecretRotation(Duration grace) {
        /** Parses the optional body of a rotation; an absent body is an empty one. */
        public static SecretRotation parse(RequestFields f) {
            f.refuseUnknownOrNull(ROTATE_FIELDS);
            return new SecretRotation(f.optionalDurationText("grace_period").map(t -> DurationText.parse(t)
                    .filter(d -> d.compareTo(MAX_GRACE) <= 0)
                    .orElseThrow(() -> DomainException.invalid("grace_period", "must be a duration between 0 and 7d, such as 30m or 24h")))
                    .orElse(DEFAULT_GRACE));
        }
    }

    public WithSecret rotateSecret(Principal caller, String id, SecretRotation rotation) {
        Duration grace = rotation.grace();
        WebhookSubscription current = get(caller, id);
        Instant now = clock.instant();
        String secret = WebhookSignature.secretOf(secretBytes.get());
        WebhookSubscription rotated = current.rotated(secret, now.plus(grace), now);
        if (!store.update(rotated, current.version())) {
            throw new DomainException(ErrorCode.CONFLICT, null, "The subscription was changed meanwhile; read it again and retry.");
        }
        return new WithSecret(rotated, secret);
    }

    /** Queues a {@code webhook.test} delivery; it is signed, retried and logged like any other. */
    public WebhookMessage sendTest(Principal caller, String id) {
        WebhookSubscription sub = get(caller, id);
        Instant now = clock.instant();
        WebhookMessage message = new WebhookMessage(sub.id(), "msg_" + ids.newId(), WebhookEventType.TEST, now,
                JsonObject.of("subscription_id", sub.id(), "message", "a test event from Sluice"), 1, now);
        queue.send(message, Duration.ZERO);
        return message;
    }

    /**
     * The caller's own subscription, or — for the id {@code cb_<session id>} — the deliveries to the callback_url of
     * one of the caller's sessions, which have a delivery log and dead letters like any subscription. Anyone else's:
     * not found.
     */
    private void deliveriesOwned(Principal caller, String id) {
        if (id.startsWith(WebhookSubscription.CALLBACK_PREFIX)) {
            String sessionId = id.substring(WebhookSubscription.CALLBACK_PREFIX.length());
            if (!SessionId.isWellFormed(sessionId)
                    || sessionOwner.apply(sessionId).filter(caller.subject()::equals).isEmpty()) {
                throw DomainException.notFound("session " + sessionId + " with deliveries to its callback_url");
            }
            return;
        }
        get(caller, id);
    }

    public List<DeliveryAttempt> deliveries(Principal caller, String id, int limit) {
        deliveriesOwned(caller, id);
        return log.recent(id, limit);
    }

    public List<WebhookMessage> deadLetters(Principal caller, String id) {
        deliveriesOwned(caller, id);
        return log.deadLetters(id);
    }

    /** Sends one recent delivery again, from its first attempt, with the same webhook-id. */
    public WebhookMessage replay(Principal caller, String id, String webhookId) {
        deliveriesOwned(caller, id);
        if (!WEBHOOK_ID.matcher(webhookId).matches()) {
            throw DomainException.notFound("recent delivery " + webhookId + " for subscription " + id);
        }
        WebhookMessage message = log.find(id, webhookId)
                .orElseThrow(() -> DomainException.notFound("recent delivery " + webhookId + " for subscription " + id));
        log.removeDeadLetter(id, webhookId);
        WebhookMessage again = message.replayed(clock.instant());
        queue.send(again, Duration.ZERO);
        return again;
    }

    /** Sends everything in the subscription's dead-letter queue again; each one leaves the queue once. */
    public List<WebhookMessage> replayDeadLetters(Principal caller, String id) {
        deliveriesOwned(caller, id);
        List<WebhookMessage> replayed = new java.util.ArrayList<>();
        for (WebhookMessage m : log.deadLetters(id)) {
            if (log.removeDeadLetter(id, m.webhookId())) {
                WebhookMessage again = m.replayed(clock.instant());
                queue.send(again, Duration.ZERO);
                replayed.add(again);
            }
        }
        return replayed;
    }

    /**
     * A new secret for the deliveries to the caller's sessions' {@code callback_url}s (shown only here); the previous
     * one stays valid for the grace period.
     */
    public String rotateCallbackSecret(Principal caller, SecretRotation rotation) {
        Duration grace = rotation.grace();
        Instant now = clock.instant();
        callbackSecrets.signingSecrets(caller.subject(), now);
        return callbackSecrets.rotate(caller.subject(), WebhookSignature.secretOf(secretBytes.get()), now.plus(grace));
    }

    private static WebhookFilter checkedSize(WebhookFilter filter, String owner) {
        if (filter.patternSizeBound(owner) > MAX_PATTERN_CHARS) {
            throw DomainException.invalid("filter", "is too large: its rule pattern must stay under " + MAX_PATTERN_CHARS
                    + " characters; use fewer or shorter values");
        }
        return filter;
    }

    private static Optional<String> description(RequestFields f) {
        Optional<String> d = f.optionalString("description");
        if (d.isPresent() && d.get().length() > 256) {
            throw DomainException.invalid("description", "must be at most 256 characters");
        }
        return d;
    }
}
