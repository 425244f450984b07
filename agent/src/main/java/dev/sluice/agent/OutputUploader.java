package dev.sluice.agent;

import dev.sluice.agent.protocol.Wire;
import dev.sluice.agent.runtime.SessionRuntime;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A session's output tail: uploaded while it runs ({@code PUT .../logs}) when it changed, at most once an interval,
 * and read for its end's report. Never more than the API takes in one body, measured encoded.
 */
final class OutputUploader {
    /** A logs upload's whole request body, {"text": ...} as JSON, stays within this (the API refuses bodies over 64 KiB). */
    static final int MAX_LOGS_BODY_BYTES = Wire.MAX_BODY_BYTES;

    private final ControlPlaneClient client;
    private final SessionRuntime runtime;
    private final int lines;
    /** The loop's lock: an entry changes only under it. */
    private final Object lock;
    private final Map<String, Long> sentAt = new ConcurrentHashMap<>();

    OutputUploader(ControlPlaneClient client, SessionRuntime runtime, int lines, Object lock) {
        this.client = client;
        this.runtime = runtime;
        this.lines = lines;
        this.lock = lock;
    }

    /** The session's output tail, capped to one body, unless it is what was last sent (or there is none). */
    Optional<String> newOutput(LedgerEntry e) {
        Optional<String> text = runtime.logs(e.sessionId(), lines).map(t -> capped(t, MAX_LOGS_BODY_BYTES));
        return text.filter(t -> t.hashCode() != e.logsHash());
    }

    /**
     * Sends a running session's output when it changed, at most once every {@code intervalMillis}, the first time one
     * interval after the session was first seen here: a short session's output then rides its end report instead of an
     * upload of its own ({@code PUT .../logs}) as it starts.
     */
    void uploadTail(LedgerEntry e, long now, long intervalMillis) {
        if (e.removed()) {
            return;
        }
        Long last = sentAt.putIfAbsent(e.sessionId(), now);
        if (e.active() && (last == null || last + intervalMillis > now)) {
            return;
        }
        sentAt.put(e.sessionId(), now);
        send(e);
    }

    /** Sends the output now if it changed; stored (or refused for good) it is not sent again. */
    void send(LedgerEntry e) {
        Optional<String> text = newOutput(e);
        if (text.isEmpty()) {
            return;
        }
        ControlPlaneClient.Reply r = client.putLogs(e.sessionId(), text.get());
        if (r.ok() || r.final4xx()) {
            synchronized (lock) {
                e.outputSent(text.get().hashCode());
            }
        }
    }

    /**
     * The longest tail of the output, cut at a line start, whose encoded request body stays within {@code maxBodyBytes}.
     * Measured after JSON encoding: quotes, backslashes and control characters take 2 to 6 bytes each once escaped, so a
     * cap on the raw text could still send a body the API refuses (and the output would never be stored).
     */
    static String capped(String text, int maxBodyBytes) {
        if (encodedSize(text) <= maxBodyBytes) {
            return text;
        }
        int lo = 0;
        int hi = text.length();
        while (lo < hi) { // the first start whose tail fits: the encoded size only shrinks as the start moves right
            int mid = (lo + hi) >>> 1;
            if (encodedSize(text.substring(startAt(text, mid))) <= maxBodyBytes) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        String tail = text.substring(startAt(text, lo));
        int firstLine = tail.indexOf('\n');
        return firstLine >= 0 && firstLine + 1 < tail.length() ? tail.substring(firstLine + 1) : tail;
    }

    /** Never starts a tail in the middle of a surrogate pair. */
    private static int startAt(String text, int index) {
        return index > 0 && index < text.length() && Character.isLowSurrogate(text.charAt(index)) ? index + 1 : index;
    }

    /** The size of the upload body carrying {@code text}. */
    static int encodedSize(String text) {
        return Wire.uploadSize(text);
    }
}
