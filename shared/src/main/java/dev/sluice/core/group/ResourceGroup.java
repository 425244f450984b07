package dev.sluice.core.group;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.request.RequestFields;
import java.time.Instant;
import java.util.Set;
import java.util.regex.Pattern;

/** A resource group (Backend.AI: scaling group): which sessions it accepts and how it schedules them. */
public record ResourceGroup(
        String name,
        String description,
        boolean active,
        boolean isPublic,
        SchedulerKind scheduler,
        SchedulerOptions schedulerOptions,
        Instant createdAt,
        Instant updatedAt) {

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");
    private static final Set<String> KNOWN = Set.of("description", "active", "is_public", "scheduler", "scheduler_options");

    public static boolean isValidName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    public static String validName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw DomainException.invalid("name", "must be 1-63 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit");
        }
        return name;
    }

    /**
     * This group with a partial change applied: fields present in {@code patch} replace this group's, and
     * {@code scheduler_options} is merged option by option. The result is validated like a full definition.
     */
    public ResourceGroup patched(RequestFields patch, Instant now) {
        return read(name, patch, this, createdAt, now);
    }

    /** Builds a group from an admin's full definition (PUT): missing fields take defaults. */
    public static ResourceGroup fromDefinition(String name, RequestFields f, Instant createdAt, Instant now) {
        return read(name, f, new ResourceGroup(name, "", true, true, SchedulerKind.FIFO, SchedulerOptions.defaults(), createdAt, now),
                createdAt, now);
    }

    /** Reads a definition, missing fields (and options) keeping {@code base}'s. */
    private static ResourceGroup read(String name, RequestFields f, ResourceGroup base, Instant createdAt, Instant now) {
        f.refuseUnknownOrNull(KNOWN);
        String description = f.optionalString("description").orElse(base.description());
        if (description.length() > 1024) {
            throw DomainException.invalid("description", "must be at most 1024 characters");
        }
        boolean active = f.optionalBoolean("active").orElse(base.active());
        boolean isPublic = f.optionalBoolean("is_public").orElse(base.isPublic());
        SchedulerKind scheduler = f.optionalString("scheduler")
                .map(s -> SchedulerKind.fromWire(s).orElseThrow(() -> DomainException.invalid("scheduler",
                        "must be fifo, lifo or drf, not '" + s + "'")))
                .orElse(base.scheduler());
        SchedulerOptions options = f.optionalObject(SchedulerOptions.FIELD)
                .map(o -> SchedulerOptions.parse(o, base.schedulerOptions()))
                .orElse(base.schedulerOptions());
        return new ResourceGroup(validName(name), description, active, isPublic, scheduler, options, createdAt, now);
    }
}
