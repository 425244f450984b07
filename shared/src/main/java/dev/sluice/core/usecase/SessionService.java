package dev.sluice.core.usecase;

import dev.sluice.core.request.RequestFields;

import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.port.EventPublisher;
import dev.sluice.core.port.IdGenerator;
import dev.sluice.core.port.ResourceGroupStore;
import dev.sluice.core.port.SessionStore;
import dev.sluice.core.port.SessionStore.CreateOutcome;
import dev.sluice.core.port.SessionStore.IdempotencyClaim;
import dev.sluice.core.port.SessionStore.SaveOutcome;
import dev.sluice.core.port.Page;
import dev.sluice.core.session.IllegalTransitionException;
import dev.sluice.core.session.SessionDestruction;
import dev.sluice.core.session.SessionId;
import dev.sluice.core.session.SessionQuery;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionChange;
import dev.sluice.core.session.SessionSpec;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.core.session.SessionStatusChanged;
import dev.sluice.core.session.StatusData;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Creating, reading and moving sessions: the rules, with storage and events behind ports. */
public final class SessionService {
    private final SessionStore sessions;
    private final ResourceGroupStore groups;
    private final EventPublisher events;
    private final IdGenerator ids;
    private final Clock clock;

    private final dev.sluice.core.port.FolderLookup folders;

    public SessionService(SessionStore sessions, ResourceGroupStore groups, EventPublisher events, IdGenerator ids, Clock clock) {
        this(sessions, groups, events, ids, clock, dev.sluice.core.port.FolderLookup.NONE);
    }

    public SessionService(SessionStore sessions, ResourceGroupStore groups, EventPublisher events, IdGenerator ids, Clock clock,
                          dev.sluice.core.port.FolderLookup folders) {
        this.folders = folders;
        this.sessions = sessions;
        this.groups = groups;
        this.events = events;
        this.ids = ids;
        this.clock = clock;
    }

    /** The result of a create: the session, and whether this call made it or replayed an earlier one. */
    public record Created(Session session, boolean replayed) {
    }

    /**
     * Validates the request, picks the resource group (REFERENCE §3), stores the session PENDING and publishes
     * its first event. With an idempotency key, a retry returns the first session instead of making another.
     */
    public Created create(Principal caller, RequestFields body, Optional<IdempotencyKey> idempotencyKey) {
        Instant now = clock.instant();
        SessionSpec spec = SessionSpec.parse(body, now);
        ResourceGroup group = chooseGroup(spec);
        spec = spec.withFolderMounts(resolveMounts(caller, spec));
        Session session = Session.enqueue(ids.newId(), caller.subject(), spec, group.name(), now);
        Optional<IdempotencyClaim> claim = idempotencyKey.map(k -> new IdempotencyClaim(
                "sessions.create#" + caller.subject(), k.key(), k.fingerprint()));
        CreateOutcome outcome = sessions.create(session, claim);
        if (outcome instanceof CreateOutcome.Created c) {
            events.publish(SessionStatusChanged.of(Optional.empty(), c.session(), now));
            return new Created(c.session(), false);
        }
        if (outcome instanceof CreateOutcome.Replayed r) {
            return new Created(r.session(), true);
        }
        throw new DomainException(ErrorCode.IDEMPOTENCY_MISMATCH, "Idempotency-Key",
                "This Idempotency-Key was already used for a different request.");
    }

    /**
     * The requested mounts as the agent needs them: each folder must exist, be the caller's, and be usable (not being
     * cloned into, deleted or broken); names and mount paths must not repeat.
     */
    private List<dev.sluice.core.session.FolderMount> resolveMounts(Principal caller, SessionSpec spec) {
        List<dev.sluice.core.session.FolderMount> resolved = new java.util.ArrayList<>();
        java.util.Set<String> names = new java.util.HashSet<>();
        java.util.Set<String> paths = new java.util.HashSet<>();
        List<String[]> requests = spec.mountRequests();
        for (int i = 0; i < requests.size(); i++) {
            String name = requests.get(i)[0];
            String path = requests.get(i)[1];
            String field = "mounts[" + i + "]";
            if (!names.add(name)) {
                throw DomainException.invalid(field, "mounts the folder '" + name + "' a second time; mount each folder once");
            }
            if (!paths.add(path)) {
                throw DomainException.invalid(field, "mounts a second folder at " + path + "; mount one folder at each path");
            }
            dev.sluice.core.folder.Folder folder = folders.find(caller.subject(), name)
                    .filter(f -> f.status() != dev.sluice.core.folder.FolderStatus.DELETE_COMPLETE)
                    .orElseThrow(() -> DomainException.invalid(field, "names '" + name + "', but you have no folder by that name"));
            if (!folder.status().isUsable()) {
                throw DomainException.invalid(field, "names the folder '" + name + "', which is " + folder.status().wireName() + " and cannot be mounted");
            }
            resolved.add(new dev.sluice.core.session.FolderMount(folder.id(), folder.name(), folder.prefix(),
                    folder.permission().wireName(), path));
        }
        return resolved;
    }

    private ResourceGroup chooseGroup(SessionSpec spec) {
        String typeName = spec.type().wireName();
        if (spec.requestedResourceGroup().isPresent()) {
            String name = spec.requestedResourceGroup().get();
            ResourceGroup group = groups.find(name)
                    .orElseThrow(() -> DomainException.invalid("resource_group", "names '" + name + "', but there is no resource group by that name"));
            if (!group.active()) {
                throw DomainException.invalid("resource_group", "names '" + name + "', a resource group that is not active");
            }
            if (!group.schedulerOptions().accepts(spec.type())) {
                List<String> accepting = acceptingGroups(spec);
                throw DomainException.invalid("type", "'" + typeName + "' is not accepted by resource group '" + name + "'; "
                        + (accepting.isEmpty() ? "no group accepts it" : "the groups that accept it are " + accepting));
            }
            return group;
        }
        return groups.list().stream()
                .filter(g -> g.active() && g.isPublic() && g.schedulerOptions().accepts(spec.type()))
                .findFirst()
                .orElseThrow(() -> DomainException.invalidBecause("resource_group",
                        "No active resource group accepts " + typeName + " sessions, so there is no resource_group to run it in."));
    }

    private List<String> acceptingGroups(SessionSpec spec) {
        return groups.list().stream()
                .filter(g -> g.active() && g.schedulerOptions().accepts(spec.type()))
                .map(ResourceGroup::name)
                .toList();
    }

    /** A session the caller may see: their own, or any for an admin. Others' are reported as not found. */
    public Session get(Principal caller, String id) {
        if (!SessionId.isWellFormed(id)) {
            throw DomainException.notFound("session '" + id + "'");
        }
        return sessions.find(id)
                .filter(s -> caller.isAdmin() || s.owner().equals(caller.subject()))
                .orElseThrow(() -> DomainException.notFound("session '" + id + "'"));
    }

    /** How many sessions are ahead of a pending one in its group's queue (for the pending explanation). */
    public Optional<Integer> queuePosition(Session s) {
        return s.status() == SessionStatus.PENDING ? Optional.of(sessions.sessionsAhead(s) + 1) : Optional.empty();
    }

    /** A page of the sessions the caller may list (SessionQuery enforces who may list whose). */
    public Page<Session> list(SessionQuery query) {
        Instant notBefore = groups.list().stream().map(ResourceGroup::createdAt).min(Instant::compareTo).orElse(clock.instant());
        try {
            return sessions.list(query, notBefore);
        } catch (Page.UnknownCursor e) {
            throw DomainException.invalid("cursor", e.rule());
        }
    }

    /**
     * Destroys a session as REFERENCE §1 says (see {@link SessionDestruction}); the caller must own it or be an admin.
     * A destroy that loses a race to another change is reported as a conflict, never applied to a status it did not see.
     */
    public Session destroy(Principal caller, String id, boolean forced) {
        Session current = get(caller, id);
        SessionDestruction.Plan plan = SessionDestruction.plan(current.status(), forced, caller.isAdmin());
        StatusData data = StatusData.destroyRequested(caller.subject(), forced);
        Session next = current.transitionTo(plan.target(), plan.statusInfo(), data, clock.instant());
        SaveOutcome saved = sessions.apply(SessionChange.update(next, current.status(), current.sequence()));
        if (saved instanceof SaveOutcome.Saved s) {
            events.publish(SessionStatusChanged.of(Optional.of(current.status()), s.session(), clock.instant()));
            return s.session();
        }
        throw new DomainException(ErrorCode.CONFLICT, null, "The session changed while it was being destroyed; try again.");
    }

    /** What became of a requested status change. */
    public sealed interface TransitionOutcome {
        record Applied(Session session, SessionStatus previous) implements TransitionOutcome {
        }

        /** The transition map forbids moving from the session's current status. */
        record Refused(SessionStatus current, SessionStatus requested) implements TransitionOutcome {
        }

        /** Another writer changed the session between our read and our write. */
        record Conflict(Optional<Session> current) implements TransitionOutcome {
        }

        record NotFound(String id) implements TransitionOutcome {
        }
    }

    /**
     * Moves a session to {@code to} if the map allows it from the status read, writing only if nobody changed it
     * since; publishes the change. Two racing callers: exactly one is {@code Applied}.
     */
    public TransitionOutcome transition(String id, SessionStatus to, String info, StatusData data) {
        Optional<Session> found = sessions.find(id);
        if (found.isEmpty()) {
            return new TransitionOutcome.NotFound(id);
        }
        Session current = found.get();
        Instant now = clock.instant();
        Session next;
        try {
            next = current.transitionTo(to, info, data, now);
        } catch (IllegalTransitionException e) {
            return new TransitionOutcome.Refused(current.status(), to);
        }
        SaveOutcome saved = sessions.apply(SessionChange.update(next, current.status(), current.sequence()));
        if (saved instanceof SaveOutcome.Saved s) {
            events.publish(SessionStatusChanged.of(Optional.of(current.status()), s.session(), now));
            return new TransitionOutcome.Applied(s.session(), current.status());
        }
        return new TransitionOutcome.Conflict(((SaveOutcome.Conflict) saved).current());
    }
}
