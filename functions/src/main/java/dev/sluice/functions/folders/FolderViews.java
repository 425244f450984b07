package dev.sluice.functions.folders;

import dev.sluice.core.folder.Folder;
import dev.sluice.core.folder.FolderStatusChange;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The JSON view of a folder. */
final class FolderViews {
    private FolderViews() {
    }

    static Map<String, Object> folder(Folder f) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("id", f.id());
        v.put("name", f.name());
        v.put("host", f.host());
        v.put("owner", f.owner());
        v.put("usage_mode", f.usageMode().wireName());
        v.put("permission", f.permission().wireName());
        v.put("cloneable", f.cloneable());
        v.put("status", f.status().wireName());
        v.put("created_at", f.createdAt().toString());
        v.put("status_history", history(f.statusHistory()));
        return v;
    }

    static List<Map<String, Object>> history(List<FolderStatusChange> changes) {
        return changes.stream().map(c -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("status", c.status().wireName());
            m.put("at", c.at().toString());
            m.put("reason", c.reason());
            return m;
        }).toList();
    }
}
