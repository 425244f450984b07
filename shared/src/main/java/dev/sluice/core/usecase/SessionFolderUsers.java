package dev.sluice.core.usecase;

import dev.sluice.core.port.FolderUsers;
import dev.sluice.core.port.Page;
import dev.sluice.core.port.SessionStore;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionQuery;
import dev.sluice.core.session.SessionStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** The sessions using a folder, read from the owner's sessions that have not ended (sessions mount only their owner's folders). */
public final class SessionFolderUsers implements FolderUsers {
    private static final Set<SessionStatus> NOT_ENDED = EnumSet.complementOf(EnumSet.copyOf(SessionQuery.DEAD));

    private final SessionStore sessions;

    public SessionFolderUsers(SessionStore sessions) {
        this.sessions = sessions;
    }

    @Override
    public List<String> activeSessionsMounting(String owner, String folderId, int limit) {
        List<String> found = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        do {
            Page<Session> page = sessions.list(new SessionQuery(Optional.of(owner), NOT_ENDED, Optional.empty(), Optional.empty(),
                    false, SessionQuery.MAX_LIMIT, cursor), Instant.EPOCH);
            for (Session s : page.items()) {
                if (s.spec().folderMounts().stream().anyMatch(m -> m.folderId().equals(folderId))) {
                    found.add(s.id());
                    if (found.size() >= limit) {
                        return found;
                    }
                }
            }
            cursor = page.nextCursor();
        } while (cursor.isPresent());
        return found;
    }
}
