package dev.sluice.core.folder;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.request.RequestFields;
import java.util.Map;
import java.util.Set;

/**
 * {@code POST /folders/{name}/clone}: the target's name and host, and its usage mode (the source's unless given —
 * Backend.AI reset it to general), permission and cloneable flag.
 */
public record CloneRequest(String targetName, java.util.Optional<String> targetHost, java.util.Optional<UsageMode> usageMode,
                           java.util.Optional<FolderPermission> permission, java.util.Optional<Boolean> cloneable) {
    private static final Set<String> KNOWN = Set.of("target_name", "target_host", "usage_mode", "permission", "cloneable");

    public static CloneRequest parse(RequestFields f) {
        f.refuseUnknownOrNull(KNOWN);
        String name = FolderSpec.requireName(f.requireString("target_name"), "target_name");
        return new CloneRequest(name, FolderSpec.host(f, "target_host"), FolderSpec.usageMode(f, "usage_mode"),
                FolderSpec.permission(f, "permission"), f.optionalBoolean("cloneable"));
    }

    /** The target folder's spec, taking what is not given from the source. */
    public FolderSpec targetSpec(Folder source) {
        if (targetName.equals(source.name())) {
            throw DomainException.invalid("target_name", "must differ from the source folder's name");
        }
        return new FolderSpec(targetName, targetHost.orElse(source.host()), usageMode.orElse(source.usageMode()),
                permission.orElse(source.permission()), cloneable.orElse(false));
    }
}
