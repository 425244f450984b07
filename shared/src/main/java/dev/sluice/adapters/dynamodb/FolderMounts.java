package dev.sluice.adapters.dynamodb;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.sluice.adapters.json.Json;
import dev.sluice.core.session.FolderMount;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A session's resolved folder mounts, stored as one JSON attribute. */
final class FolderMounts {
    private FolderMounts() {
    }

    static String write(List<FolderMount> mounts) {
        if (mounts.isEmpty()) {
            return null;
        }
        return Json.write(mounts.stream().map(FolderMounts::view).toList());
    }

    static Map<String, Object> view(FolderMount m) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("folder_id", m.folderId());
        v.put("name", m.name());
        v.put("prefix", m.prefix());
        v.put("permission", m.permission());
        v.put("mount_path", m.mountPath());
        return v;
    }

    static List<FolderMount> read(String json) {
        if (json == null || json.isBlank()) {
            return List.of();
        }
        try {
            List<Map<String, String>> raw = Json.MAPPER.readValue(json, new TypeReference<List<Map<String, String>>>() { });
            return raw.stream().map(m -> new FolderMount(m.get("folder_id"), m.get("name"), m.get("prefix"), m.get("permission"),
                    m.get("mount_path"))).toList();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unreadable folder mounts", e);
        }
    }
}
