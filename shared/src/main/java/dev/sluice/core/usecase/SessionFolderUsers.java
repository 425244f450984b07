package dev.sluice.core.usecase;

import dev.sluice.core.port.FolderUsers;
import dev.sluice.core.port.SessionStore;
import dev.sluice.core.session.SessionQuery;
import dev.sluice.core.session.SessionStatus;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** The sessions using a folder, read from the owner's sessions that have not ended (sessions mount only their owner's folders). */
public final class SessionFolderUsers implements FolderUsers {
    private static final Set<SessionStatus> NOT_ENDED = EnumSet.complementOf(EnumSet.copyOf(SessionStatus.DEAD));

    private final SessionStore sessions;

    public SessionFolderUsers(SessionStore sessions) {
        this.sessions = sessions;
    }

    @Override
    public List<String> activeSessionsMounting(String owner, String folderId, int limit) {
        List<String> found = new ArrayList<>();
        sessions.eachOf(owner, NOT_ENDED, s -> {
            if (s.spec().folderMounts().stream().anyMatch(m -> m.folderId().equals(folderId))) {
                found.add(s.id());
            }
            return found.size() < limit;
        });
        return found;
    }
}
