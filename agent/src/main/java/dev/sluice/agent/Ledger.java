package dev.sluice.agent;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What this agent has started and what it still owes the control plane, kept on disk ({@code <work>/ledger.json},
 * replaced atomically on every change). It is why a repeated heartbeat answer never starts a session twice, and why
 * a restarted agent neither loses nor duplicates sessions: each session is started once, and its reports are
 * delivered in order, at least once.
 */
final class Ledger {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private final Map<String, LedgerEntry> entries = new LinkedHashMap<>();

    Ledger(Path file) {
        this.file = file;
    }

    static Ledger load(Path file) throws IOException {
        Ledger ledger = new Ledger(file);
        if (Files.exists(file) && Files.size(file) > 0) {
            List<LedgerEntry.Stored> stored = JSON.readValue(file.toFile(), new TypeReference<List<LedgerEntry.Stored>>() { });
            stored.forEach(e -> ledger.entries.put(e.sessionId(), LedgerEntry.of(e)));
        }
        return ledger;
    }

    LedgerEntry get(String sessionId) {
        return entries.get(sessionId);
    }

    void put(LedgerEntry e) {
        entries.put(e.sessionId(), e);
    }

    void remove(String sessionId) {
        entries.remove(sessionId);
    }

    List<LedgerEntry> all() {
        return new ArrayList<>(entries.values());
    }

    /** Forgets sessions ended, reported and cleaned up more than {@code keepMillis} ago. */
    void prune(long now, long keepMillis) {
        entries.values().removeIf(e -> e.forgettable(now, keepMillis));
    }

    void save() {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            byte[] bytes = JSON.writeValueAsBytes(entries.values().stream().map(LedgerEntry::stored).toList());
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(java.nio.ByteBuffer.wrap(bytes));
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write the agent ledger " + file, e);
        }
    }
}
