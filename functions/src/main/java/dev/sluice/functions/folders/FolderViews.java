package dev.sluice.functions.folders;

import dev.sluice.core.folder.Folder;
import dev.sluice.core.folder.FolderStatusChange;
import dev.sluice.core.usecase.FolderFiles;
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

    /** A presigned download: {@code path, method: GET, url, expires_in} (seconds). */
    static Map<String, Object> download(FolderFiles.Download d) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("path", d.path());
        v.put("method", "GET");
        v.put("url", d.url());
        v.put("expires_in", d.expiresIn().toSeconds());
        return v;
    }

    /**
     * An upload's answer: {@code path, expires_in} (seconds) and either {@code method: PUT, url} or
     * {@code method: multipart, upload_id, part_size, part_count, parts: [{number, url}], next_part} (null on the last
     * page). UploadLimitsTest measures it against Lambda's response limit.
     */
    static Map<String, Object> upload(FolderFiles.Upload u) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("path", u.path());
        v.put("expires_in", u.expiresIn().toSeconds());
        if (u instanceof FolderFiles.Upload.Multipart m) {
            v.put("method", "multipart");
            v.put("upload_id", m.uploadId());
            v.put("part_size", m.partSize());
            v.put("part_count", m.partCount());
            v.put("parts", m.parts().stream().map(p -> {
                Map<String, Object> part = new LinkedHashMap<>();
                part.put("number", p.number());
                part.put("url", p.url());
                return part;
            }).toList());
            v.put("next_part", m.nextPart().orElse(null));
        } else if (u instanceof FolderFiles.Upload.Put p) {
            v.put("method", "PUT");
            v.put("url", p.url());
        }
        return v;
    }

    /** A page of a folder's files: {@code items: [{path, size}], next_cursor} (null on the last page). */
    static Map<String, Object> files(FolderFiles.FilePage page) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("items", page.items().stream().map(e -> {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("path", e.path());
            v.put("size", e.size());
            return v;
        }).toList());
        out.put("next_cursor", page.nextCursor().orElse(null));
        return out;
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
