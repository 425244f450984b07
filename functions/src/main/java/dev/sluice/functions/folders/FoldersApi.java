package dev.sluice.functions.folders;

import dev.sluice.core.folder.CloneRequest;
import dev.sluice.core.folder.FolderSpec;
import dev.sluice.core.request.RequestFields;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import dev.sluice.adapters.Wiring;
import dev.sluice.adapters.FolderPlane;
import dev.sluice.adapters.folders.TaskView;
import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.usecase.FolderDeletion;
import dev.sluice.core.usecase.FolderCatalog;
import dev.sluice.core.usecase.FolderClones;
import dev.sluice.core.usecase.FolderFiles;
import dev.sluice.functions.Priming;
import dev.sluice.functions.http.ApiHandler;
import dev.sluice.functions.http.ApiRequest;
import dev.sluice.functions.http.ApiResponses;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The folders API: create, list, get, rename, delete, clone, and presigned URLs for the data. */
public final class FoldersApi extends ApiHandler {
    private final FolderPlane folders;

    public FoldersApi() {
        this(Wiring.fromEnvironment(System.getenv()));
        Priming.register(this);
    }

    public FoldersApi(Wiring wiring) {
        super(wiring);
        this.folders = wiring.folders();
    }

    /**
     * The largest body of {@code POST /folders/{name}/uploads/complete}: the ETags of up to 10,000 parts (about 630 KB
     * as the CLI writes them, about twice that indented) do not fit the usual 64 KiB. 2 MiB stays inside API Gateway's
     * 10 MB and, even with every byte of a JSON body escaped in the event (quotes, backslashes, newlines: two bytes
     * each), inside Lambda's 6 MB request limit.
     */
    public static final int COMPLETE_UPLOAD_MAX_BODY_BYTES = 2 * 1024 * 1024;

    @Override
    protected int maxBodyBytes(String route) {
        return maxBodyBytesOf(route);
    }

    /** The largest body each route of this function takes. */
    public static int maxBodyBytesOf(String route) {
        return route.equals("/folders/{name}/uploads/complete") ? COMPLETE_UPLOAD_MAX_BODY_BYTES : ApiRequest.MAX_BODY_BYTES;
    }

    @Override
    protected APIGatewayProxyResponseEvent route(ApiRequest request, Principal caller) {
        FolderCatalog catalog = folders.catalog();
        FolderFiles files = folders.files();
        String method = request.method();
        switch (request.route()) {
            case "/folders":
                if (method.equals("POST")) {
                    return ApiResponses.json(201, FolderViews.folder(catalog.create(caller, FolderSpec.parse(RequestFields.of(request.jsonBody())))));
                }
                if (method.equals("GET")) {
                    refuseUnknown(request, Set.of("all"));
                    boolean all = request.flag("all");
                    return ApiResponses.json(200, Map.of("items", catalog.list(caller, all).stream().map(FolderViews::folder).toList()));
                }
                break;
            case "/folders/{name}":
                String name = request.pathParameter("name");
                if (method.equals("GET")) {
                    return ApiResponses.json(200, FolderViews.folder(catalog.get(caller, name)));
                }
                if (method.equals("PATCH")) {
                    return ApiResponses.json(200, FolderViews.folder(catalog.rename(caller, name, FolderCatalog.Rename.parse(RequestFields.of(request.jsonBody())))));
                }
                if (method.equals("DELETE")) {
                    FolderDeletion.Started deleted = catalog.delete(caller, name, request.deadline());
                    if (deleted.task().isEmpty()) {
                        return ApiResponses.json(200, FolderViews.folder(deleted.folder()));
                    }
                    // Too big to remove within the request: the rest goes on in the background.
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("task_id", deleted.task().get().id());
                    body.put("task", TaskView.of(deleted.task().get()));
                    body.put("folder", FolderViews.folder(deleted.folder()));
                    return ApiResponses.json(202, body);
                }
                break;
            case "/folders/{name}/clone":
                if (method.equals("POST")) {
                    FolderClones.CloneStarted started = folders.clones().clone(caller, request.pathParameter("name"),
                            CloneRequest.parse(RequestFields.of(request.jsonBody())));
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("task_id", started.task().id());
                    body.put("task", TaskView.of(started.task()));
                    body.put("target", FolderViews.folder(started.target()));
                    return ApiResponses.json(202, body);
                }
                break;
            case "/folders/{name}/files":
                if (method.equals("GET")) {
                    refuseUnknown(request, Set.of("cursor", "limit"));
                    int limit = limit(request);
                    Optional<String> cursor = Optional.ofNullable(request.queryParameters().get("cursor"));
                    if (cursor.filter(String::isEmpty).isPresent()) {
                        throw DomainException.invalid("cursor", "must not be empty; leave it out for the first page");
                    }
                    return ApiResponses.json(200, FolderViews.files(files.files(caller, request.pathParameter("name"), cursor, limit)));
                }
                break;
            case "/folders/{name}/uploads":
                if (method.equals("POST")) {
                    return ApiResponses.json(200, FolderViews.upload(files.upload(caller, request.pathParameter("name"), RequestFields.of(request.jsonBody()))));
                }
                break;
            case "/folders/{name}/uploads/complete":
                if (method.equals("POST")) {
                    return ApiResponses.json(200, Map.of("path", files.completeUpload(caller, request.pathParameter("name"),
                            RequestFields.of(request.jsonBody())), "status", "complete"));
                }
                break;
            case "/folders/{name}/download":
                if (method.equals("GET")) {
                    refuseUnknown(request, Set.of("path"));
                    String path = request.queryParameters().get("path");
                    if (path == null) {
                        throw DomainException.invalid("path", "is required");
                    }
                    return ApiResponses.json(200, FolderViews.download(files.download(caller, request.pathParameter("name"), path)));
                }
                break;
            default:
                break;
        }
        return methodNotAllowed(request);
    }

    static void refuseUnknown(ApiRequest request, Set<String> known) {
        for (String key : request.queryParameters().keySet()) {
            if (!known.contains(key)) {
                throw DomainException.invalid(key, "is not a known query parameter; the known ones are " + known.stream().sorted().toList());
            }
        }
    }

    static int limit(ApiRequest request) {
        String v = request.queryParameters().get("limit");
        if (v == null) {
            return 1000;
        }
        try {
            int n = Integer.parseInt(v);
            if (n >= 1 && n <= 1000) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw DomainException.invalid("limit", "must be a whole number from 1 to 1000");
    }
}
