package dev.sluice.functions.folders;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import dev.sluice.adapters.Wiring;
import dev.sluice.adapters.FolderPlane;
import dev.sluice.adapters.folders.TaskView;
import dev.sluice.core.auth.Principal;
import dev.sluice.core.task.BackgroundTask;
import dev.sluice.functions.Priming;
import dev.sluice.functions.http.ApiHandler;
import dev.sluice.functions.http.ApiRequest;
import dev.sluice.functions.http.ApiResponses;
import java.util.Map;
import java.util.Set;

/**
 * Background tasks: get, list own, cancel; and {@code /tasks/{id}/events} through the gateway, which buffers a
 * whole answer: the task's state now as one server-sent event (the stream itself is {@link TaskEventStream}).
 */
public final class TasksApi extends ApiHandler {
    private final FolderPlane folders;

    public TasksApi() {
        this(Wiring.fromEnvironment(System.getenv()));
        Priming.register(this);
    }

    public TasksApi(Wiring wiring) {
        super(wiring);
        this.folders = wiring.folders();
    }

    @Override
    protected APIGatewayProxyResponseEvent route(ApiRequest request, Principal caller) {
        String method = request.method();
        switch (request.route()) {
            case "/tasks":
                if (method.equals("GET")) {
                    FoldersApi.refuseUnknown(request, Set.of("limit"));
                    int limit = request.queryParameters().containsKey("limit") ? FoldersApi.limit(request) : 100;
                    return ApiResponses.json(200, Map.of("items", folders.tasks().list(caller, limit).stream().map(TaskView::of).toList()));
                }
                break;
            case "/tasks/{id}":
                if (method.equals("GET")) {
                    return ApiResponses.json(200, TaskView.of(folders.tasks().get(caller, request.pathParameter("id"))));
                }
                if (method.equals("DELETE")) {
                    return ApiResponses.json(200, TaskView.of(folders.tasks().cancel(caller, request.pathParameter("id"))));
                }
                break;
            case "/tasks/{id}/events":
                if (method.equals("GET")) {
                    BackgroundTask task = folders.tasks().get(caller, request.pathParameter("id"));
                    return new APIGatewayProxyResponseEvent().withStatusCode(200)
                            .withHeaders(Map.of("Content-Type", "text/event-stream", "Cache-Control", "no-cache"))
                            .withBody(TaskEventStream.frame(task) + (task.status().isFinal() ? "" : "retry: 1000\n\n"));
                }
                break;
            default:
                break;
        }
        return methodNotAllowed(request);
    }
}
