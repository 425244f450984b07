package dev.sluice.functions.api;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.FolderPlane;
import dev.sluice.adapters.aws.Offline;
import dev.sluice.adapters.json.Json;
import dev.sluice.core.agent.CreationConfig;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.agent.KernelReport;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.session.Session;
import dev.sluice.core.usecase.AgentWorkService;
import dev.sluice.core.usecase.MountTransfers;
import dev.sluice.functions.Priming;
import dev.sluice.functions.http.ApiRequest;
import dev.sluice.functions.http.ApiResponses;
import dev.sluice.protocol.AgentReports;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The agent API: heartbeat (capacity and step reports in, assigned work and each report's result out), output tails,
 * and the single-report status route kept for agents of the previous protocol. Agents pull; no
 * connection into a GPU host is ever opened (ARCHITECTURE rule 4).
 */
public final class AgentWorkApi implements RequestHandler<APIGatewayProxyRequestEvent, APIGatewayProxyResponseEvent> {
    private final ControlPlane plane;
    private final AgentIdentity identity;

    public AgentWorkApi() {
        this(ControlPlane.fromEnvironment(System.getenv()));
        Priming.register(this);
    }

    /** IAM authorization unless the environment says {@code AGENT_AUTH=token} (the local stack). */
    public AgentWorkApi(ControlPlane plane) {
        this(plane, System.getenv());
    }

    /** With the function's environment: folder mounts need the folder plane ({@code FOLDERS_TABLE}, {@code FOLDER_BUCKET}). */
    public AgentWorkApi(ControlPlane plane, Map<String, String> env) {
        this(plane, plane.setting("AGENT_AUTH", "iam"), plane.setting("AGENT_ROLE_NAME", ""),
                () -> {
                    FolderPlane folders = FolderPlane.fromEnvironment(env);
                    return new MountTransfers(plane.sessionStore(), folders.folderStore(), folders.storage());
                });
    }

    AgentWorkApi(ControlPlane plane, String authMode, String roleName) {
        this(plane, authMode, roleName, () -> {
            throw new IllegalStateException("this handler was built without the folder plane");
        });
    }

    AgentWorkApi(ControlPlane plane, String authMode, String roleName, Supplier<MountTransfers> mounts) {
        this.plane = plane;
        this.identity = new AgentIdentity(authMode, roleName, plane.tokens());
        this.mountsFactory = mounts;
    }

    private final Supplier<MountTransfers> mountsFactory;
    private volatile MountTransfers mounts;

    /** Built at the first mount request: most agent calls are heartbeats, which need no S3 client. */
    private MountTransfers mounts() {
        MountTransfers m = mounts;
        if (m == null) {
            m = mountsFactory.get();
            mounts = m;
        }
        return m;
    }

    @Override
    public APIGatewayProxyResponseEvent handleRequest(APIGatewayProxyRequestEvent event, Context context) {
        long started = System.nanoTime();
        ApiRequest request = new ApiRequest(event);
        APIGatewayProxyResponseEvent response;
        String failure = null;
        String agentId = null;
        try {
            agentId = identity.agentId(event, request.header("Authorization"));
            response = route(request, agentId);
        } catch (DomainException e) {
            response = ApiResponses.error(e);
        } catch (RuntimeException e) {
            failure = e.getClass().getName() + ": " + e.getMessage();
            response = ApiResponses.error(500, "internal_error", "The request could not be completed; it has been logged.", null);
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("level", failure == null ? "INFO" : "ERROR");
        line.put("requestId", context == null ? null : context.getAwsRequestId());
        line.put("agent", agentId);
        line.put("method", request.method());
        line.put("route", request.route());
        line.put("status", response.getStatusCode());
        line.put("durationMs", (System.nanoTime() - started) / 1_000_000.0);
        if (failure != null) {
            line.put("error", failure);
        }
        System.out.println(Json.write(line));
        return response;
    }

    /**
     * SnapStart priming only: answers {@code event} as agent {@code agentId}, past the identity check, so that the
     * agent routes' classes are loaded before the snapshot. Refused unless this thread's AWS calls are answered
     * offline ({@link Offline}): nothing is written.
     */
    public APIGatewayProxyResponseEvent answerOffline(APIGatewayProxyRequestEvent event, String agentId) {
        if (!Offline.active()) {
            throw new IllegalStateException("answerOffline is for priming, with AWS calls answered offline");
        }
        try {
            return route(new ApiRequest(event), agentId);
        } catch (DomainException e) {
            return ApiResponses.error(e);
        }
    }

    private APIGatewayProxyResponseEvent route(ApiRequest request, String agentId) {
        AgentWorkService work = plane.agentWork();
        String method = request.method();
        switch (request.route()) {
            case "/agent/heartbeat":
                if (method.equals("POST")) {
                    return ApiResponses.json(200, reply(work.heartbeat(agentId, RequestFields.of(request.jsonBody()))));
                }
                break;
            case "/agent/sessions/{id}/status":
                if (method.equals("POST")) {
                    Session s = work.report(agentId, request.pathParameter("id"), KernelReport.parse(RequestFields.of(request.jsonBody())));
                    return ApiResponses.json(200, Map.of("session_id", s.id(), "status", s.status().name(),
                            "status_info", s.statusInfo(), "result", s.result().name()));
                }
                break;
            case "/agent/sessions/{id}/logs":
                if (method.equals("PUT")) {
                    RequestFields f = RequestFields.of(request.jsonBody());
                    f.refuseUnknown(Set.of("text"));
                    work.putLogs(agentId, request.pathParameter("id"), f.requireString("text"));
                    return ApiResponses.json(200, Map.of("session_id", request.pathParameter("id"), "stored", true));
                }
                break;
            case "/agent/sessions/{id}/mounts/{name}/files":
                if (method.equals("GET")) {
                    Map<String, String> q = request.queryParameters();
                    for (String k : q.keySet()) {
                        if (!k.equals("cursor")) {
                            throw DomainException.invalid(k, "is not a parameter of this route; it takes only cursor");
                        }
                    }
                    Optional<String> cursor = Optional.ofNullable(q.get("cursor")).filter(c -> !c.isEmpty());
                    return ApiResponses.json(200, Views.mountFiles(mounts().files(agentId, request.pathParameter("id"), request.pathParameter("name"), cursor)));
                }
                break;
            case "/agent/sessions/{id}/mounts/{name}/uploads":
                if (method.equals("POST")) {
                    return ApiResponses.json(200, Views.mountUpload(mounts().upload(agentId, request.pathParameter("id"), request.pathParameter("name"),
                            RequestFields.of(request.jsonBody()))));
                }
                break;
            default:
                break;
        }
        return ApiResponses.error(405, "method_not_allowed", method + " is not allowed on " + request.route() + ".", null);
    }

    static Map<String, Object> reply(AgentWorkService.HeartbeatReply r) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("agent", Views.agent(r.agent()));
        body.put("heartbeat_interval", r.interval().toSeconds());
        body.put("assignments", r.assignments().stream().map(AgentWorkApi::assignment).toList());
        body.put("terminate", r.terminate().stream()
                .map(t -> Map.of("session_id", t.sessionId(), "reason", t.reason() == null ? "terminated" : t.reason())).toList());
        if (!r.reportResults().isEmpty()) {
            body.put(AgentReports.RESULTS, r.reportResults().stream().map(AgentReports.Result::toWire).toList());
        }
        return body;
    }

    /** The agent protocol's wire shape of the assignment ({@link dev.sluice.protocol.SessionAssignment}). */
    private static Map<String, Object> assignment(CreationConfig c) {
        return c.wire().toWire();
    }
}
