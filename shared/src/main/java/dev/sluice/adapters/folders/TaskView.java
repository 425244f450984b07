package dev.sluice.adapters.folders;

import dev.sluice.core.task.BackgroundTask;
import dev.sluice.core.task.TaskProgress;
import java.util.LinkedHashMap;
import java.util.Map;

/** The JSON view of a task: the API's answer, each bus event's detail and each server-sent event's data. */
public final class TaskView {
    private TaskView() {
    }

    public static Map<String, Object> of(BackgroundTask t) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("id", t.id());
        v.put("kind", t.kind());
        v.put("owner", t.owner());
        v.put("status", t.status().wireName());
        TaskProgress p = t.progress();
        Map<String, Object> progress = new LinkedHashMap<>();
        progress.put("phase", p.phase().wireName());
        progress.put("objects_done", p.objectsDone());
        progress.put("objects_total", p.objectsTotal());
        progress.put("bytes_done", p.bytesDone());
        progress.put("bytes_total", p.bytesTotal());
        progress.put("message", p.message());
        v.put("progress", progress);
        v.put("created_at", t.createdAt().toString());
        v.put("updated_at", t.updatedAt().toString());
        v.put("finished_at", t.finishedAt().map(Object::toString).orElse(null));
        v.put("result", dev.sluice.adapters.json.Json.plain(t.result()));
        v.put("error", t.error().orElse(null));
        v.put("sequence", t.sequence());
        return v;
    }
}
