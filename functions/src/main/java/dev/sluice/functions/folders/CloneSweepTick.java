package dev.sluice.functions.folders;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.FolderPlane;
import dev.sluice.adapters.json.Json;
import dev.sluice.core.usecase.CloneSweep;
import dev.sluice.functions.Priming;
import java.util.LinkedHashMap;
import java.util.Map;

/** The scheduled clone sweep: starts clones whose execution never started, cleans up those whose execution died. */
public final class CloneSweepTick implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    private final CloneSweep sweep;

    public CloneSweepTick() {
        this(null, System.getenv());
        Priming.register(this);
    }

    public CloneSweepTick(ControlPlane unused, Map<String, String> env) {
        this.sweep = FolderPlane.fromEnvironment(env).cloneSweep();
    }

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> input, Context context) {
        CloneSweep.Result r = sweep.run();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("checked", r.checked());
        out.put("started", r.started());
        out.put("cleaned_up", r.cleanedUp());
        Map<String, Object> line = new LinkedHashMap<>(out);
        line.put("level", "INFO");
        line.put("logger", "clone-sweep");
        line.put("requestId", context == null ? null : context.getAwsRequestId());
        System.out.println(Json.write(line));
        return out;
    }
}
