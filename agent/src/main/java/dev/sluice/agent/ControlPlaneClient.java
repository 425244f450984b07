package dev.sluice.agent;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Optional;

/** The agent API as the agent sees it. Each call answers with the HTTP status and the JSON body. */
public interface ControlPlaneClient {
    /** Capacity, what runs and the queued step reports ({@link dev.sluice.protocol.AgentReports}) in; work and each report's result out. */
    Reply heartbeat(Map<String, Object> body);

    Reply putLogs(String sessionId, String text);

    /**
     * One step of a session on its own ({@code POST /agent/sessions/{id}/status}): only for a control plane before
     * agent 0.2.0, which refuses the reports in the heartbeat ({@link AgentLoop}).
     */
    Reply status(String sessionId, Map<String, Object> step);

    /** A page of the files of a folder the session mounts, each with a presigned GET; {@code cursor} from the last page. */
    Reply mountFiles(String sessionId, String mount, Optional<String> cursor);

    /** A presigned PUT for one file of a writable mount of the session. */
    Reply mountUpload(String sessionId, String mount, String path, long size);

    /** {@code status} 0 when the control plane could not be reached. */
    record Reply(int status, JsonNode body) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }

        /** The control plane refused or does not know it: retrying would not help. */
        public boolean final4xx() {
            return status == 404 || status == 409 || status == 422 || status == 400 || status == 413;
        }
    }
}
