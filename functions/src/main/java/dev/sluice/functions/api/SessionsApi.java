package dev.sluice.functions.api;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import dev.sluice.adapters.Wiring;
import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.port.Page;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionQuery;
import dev.sluice.core.usecase.SessionService;
import dev.sluice.functions.Priming;
import dev.sluice.functions.http.ApiHandler;
import dev.sluice.functions.http.ApiRequest;
import dev.sluice.functions.http.ApiResponses;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The sessions API: create, list, get, status history and destroy. */
public final class SessionsApi extends ApiHandler {

    public SessionsApi() {
        this(Wiring.fromEnvironment(System.getenv()));
        Priming.register(this);
    }

    public SessionsApi(Wiring wiring) {
        super(wiring);
    }

    @Override
    protected boolean keepsItsOwnIdempotency(ApiRequest request) {
        return request.route().equals("/sessions") && request.method().equals("POST");
    }

    @Override
    protected APIGatewayProxyResponseEvent route(ApiRequest request, Principal caller) {
        SessionService sessions = plane.sessions();
        switch (request.route()) {
            case "/sessions":
                if (request.method().equals("POST")) {
                    Map<String, Object> body = request.jsonBody();
                    // callback_url passes the same target-address rules as webhook subscriptions (checked again at delivery)
                    if (body.get("callback_url") instanceof String callbackUrl) {
                        plane.webhookTargets().check("callback_url", callbackUrl);
                    }
                    SessionService.Created created = sessions.create(caller, RequestFields.of(body), request.idempotencyKey());
                    return ApiResponses.json(created.replayed() ? 200 : 201, Views.session(created.session()));
                }
                if (request.method().equals("GET")) {
                    Page<Session> page = sessions.list(SessionQuery.parse(request.queryParameters(), caller, request::flag));
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("items", page.items().stream().map(Views::session).toList());
                    body.put("next_cursor", page.nextCursor().orElse(null));
                    return ApiResponses.json(200, body);
                }
                break;
            case "/sessions/{id}":
                if (request.method().equals("GET")) {
                    Session s = sessions.get(caller, request.pathParameter("id"));
                    return ApiResponses.json(200, Views.session(s, sessions.queuePosition(s)));
                }
                if (request.method().equals("DELETE")) {
                    refuseUnknownParameters(request, Set.of("forced"));
                    boolean forced = request.flag("forced");
                    return ApiResponses.json(200, Views.session(sessions.destroy(caller, request.pathParameter("id"), forced)));
                }
                break;
            case "/sessions/{id}/history":
                if (request.method().equals("GET")) {
                    Session s = sessions.get(caller, request.pathParameter("id"));
                    return ApiResponses.json(200, Map.of("session_id", s.id(), "items", Views.history(s)));
                }
                break;
            case "/sessions/{id}/logs":
                if (request.method().equals("GET")) {
                    refuseUnknownParameters(request, Set.of("lines"));
                    int lines = lines(request);
                    Session s = sessions.get(caller, request.pathParameter("id"));
                    java.util.Optional<String> text = plane.agentWork().logs(s);
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("session_id", s.id());
                    body.put("available", text.isPresent());
                    body.put("text", text.map(t -> tail(t, lines)).orElse(""));
                    return ApiResponses.json(200, body);
                }
                break;
            default:
                break;
        }
        return methodNotAllowed(request);
    }

    private static void refuseUnknownParameters(ApiRequest request, Set<String> known) {
        for (String key : request.queryParameters().keySet()) {
            if (!known.contains(key)) {
                throw DomainException.invalid(key, "is not a known parameter; the known parameters are " + known);
            }
        }
    }

    private static int lines(ApiRequest request) {
        String value = request.queryParameters().get("lines");
        if (value == null) {
            return 100;
        }
        try {
            int n = Integer.parseInt(value);
            if (n >= 1 && n <= 10_000) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw DomainException.invalid("lines", "must be a whole number from 1 to 10000");
    }

    /** The last {@code lines} lines of {@code text}. */
    static String tail(String text, int lines) {
        int end = text.endsWith("\n") ? text.length() - 1 : text.length();
        int at = end;
        for (int seen = 0; seen < lines; seen++) {
            at = text.lastIndexOf('\n', at - 1);
            if (at < 0) {
                return text;
            }
        }
        return text.substring(at + 1);
    }
}
