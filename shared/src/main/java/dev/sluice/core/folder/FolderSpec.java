package dev.sluice.core.folder;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.request.RequestFields;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** A folder as requested: name, host, usage mode, permission and cloneable flag, each validated with its field named. */
public record FolderSpec(String name, String host, UsageMode usageMode, FolderPermission permission, boolean cloneable) {
    public static final String DEFAULT_HOST = "s3";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern HOST = Pattern.compile("[a-z0-9][a-z0-9.-]{0,62}");
    private static final Set<String> KNOWN = Set.of("name", "host", "usage_mode", "permission", "cloneable");

    public static FolderSpec parse(RequestFields f) {
        f.refuseUnknownOrNull(KNOWN);
        String name = requireName(f.requireString("name"), "name");
        String host = host(f, "host").orElse(DEFAULT_HOST);
        UsageMode mode = usageMode(f, "usage_mode").orElse(UsageMode.GENERAL);
        FolderPermission permission = permission(f, "permission").orElse(FolderPermission.RW);
        boolean cloneable = f.optionalBoolean("cloneable").orElse(false);
        return new FolderSpec(name, host, mode, permission, cloneable);
    }

    public static boolean isValidName(String name) {
        return NAME.matcher(name).matches();
    }

    public static String requireName(String name, String field) {
        if (!NAME.matcher(name).matches()) {
            throw DomainException.invalid(field, "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        return name;
    }

    static Optional<String> host(RequestFields f, String field) {
        Optional<String> host = f.optionalString(field);
        host.ifPresent(h -> {
            if (!HOST.matcher(h).matches()) {
                throw DomainException.invalid(f.path(field), "must be a storage host name (lower-case letters, digits, '.', '-')");
            }
            if (!h.equals(DEFAULT_HOST)) {
                throw DomainException.invalid(f.path(field), "must name a known storage host (" + DEFAULT_HOST + "), not '" + h + "'");
            }
        });
        return host;
    }

    static Optional<UsageMode> usageMode(RequestFields f, String field) {
        return f.optionalString(field).map(s -> UsageMode.ofWire(s).orElseThrow(() ->
                DomainException.invalid(f.path(field), "must be one of general, model, data")));
    }

    static Optional<FolderPermission> permission(RequestFields f, String field) {
        return f.optionalString(field).map(s -> FolderPermission.ofWire(s).orElseThrow(() ->
                DomainException.invalid(f.path(field), "must be one of ro, rw, wd")));
    }
}
