package dev.sluice.functions.folders;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.sluice.adapters.Wiring;
import dev.sluice.functions.http.RequestLog;
import dev.sluice.core.usecase.CloneSweep;
import dev.sluice.functions.Priming;
import java.util.LinkedHashMap;
import java.util.Map;

/** The scheduled clone sweep: starts clones whose execution never started, cleans up those whose execution died. */
public final class CloneSweepTick implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    private final CloneSweep sweep;

    public CloneSweepTick() {
        this(Wiring.fromEnvironment(System.getenv()));
        Priming.register(this);
    }

    public CloneSweepTick(Wiring wiring) {
        this.sweep = wiring.folders().cloneSweep();
    }

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> input, Context context) {
        RequestLog log = RequestLog.start(context, "CloneSweepTick", "schedule");
        CloneSweep.Result r = sweep.run();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("checked", r.checked());
        out.put("started", r.started());
        out.put("cleaned_up", r.cleanedUp());
        out.forEach(log::put);
        log.end(200, null);
        return out;
    }
}
