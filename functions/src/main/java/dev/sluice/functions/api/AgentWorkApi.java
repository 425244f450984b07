package dev.sluice.functions.api;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import dev.sluice.core.agent.CreationConfig;
import dev.sluice.core.agent.KernelReport;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.session.Session;
import dev.sluice.core.usecase.AgentWorkService;
import dev.sluice.core.usecase.MountTransfers;
import dev.sluice.functions.Priming;
import dev.sluice.adapters.Wiring;
import dev.sluice.core.error.DomainException;
import dev.sluice.functions.http.ApiRequest;
import dev.sluice.functions.http.RequestFrame;
import dev.sluice.functions.http.RequestLog;
import dev.sluice.functions.http.ApiResponses;
import dev.sluice.protocol.AgentInterruption;
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
public final class AgentWorkApi extends RequestFrame<String> {
    private final AgentIdentity identity;

    public AgentWorkApi() {
        this(Wiring.fromEnvironment(System.getenv()));
        Priming.register(this);
    }

    /**
     * IAM authorization unless the environment says {@code AGENT_AUTH=token} (the local stack); folder mounts need the
     * folder plane ({@code FOLDERS_TABLE}, {@code FOLDER_BUCKET}), built at the first mount request.
     */
    public AgentWorkApi(Wiring wiring) {
        this(wiring, wiring.setting("AGENT_AUTH", "iam"), wiring.setting("AGENT_ROLE_NAME", ""), wiring::mountTransfers);
    }

    AgentWorkApi(Wiring wiring, String authMode, String roleName, Supplier<MountTransfers> mounts) {
        super(wiring);
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

    /** The agent: the instance of the signing role (IAM), or the user name of an agents-group token (local). */
    @Override
    protected String authenticate(APIGatewayProxyRequestEvent event, ApiRequest request) {
        return identity.agentId(event, request.header("Authorization"));
    }

    /**
     * The agent API takes no Idempotency-Key: a heartbeat replaces the agent's state and its reports carry their own
     * sequence, and a log upload or a mount listing is safe to repeat.
     */
    @Override
    protected boolean keepsItsOwnIdempotency(ApiRequest request) {
        return true;
    }

    @Override
    protected String idempotencyScope(String agentId) {
        return "agent#" + agentId;
    }

    @Override
    protected void describe(String agentId, RequestLog log) {
        log.put("agent", agentId);
    }

    @Override
    protected APIGatewayProxyResponseEvent route(ApiRequest request, String agentId) {
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
        // The instance is going away (dev.sluice.protocol.AgentInterruption): the agent stops its workloads by the deadline.
        r.interruption().ifPresent(n -> body.put(AgentInterruption.FIELD, n.toWire()));
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
