package dev.sluice.core.fleet;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.slots.ResourceSlots;
import dev.sluice.core.time.DurationText;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A resource group's instance catalog (issue 17): which EC2 instance types its elastic fleet may launch, where, how
 * many, when an idle instance is given back, and whether an empty instance is kept from sessions a cheaper type holds
 * ({@code right_sizing}, default on: {@link RightSizing}). Always valid once built: {@link #parse} reads both an admin's
 * definition and the stored form, naming the offending field by its path ({@code instance_types[1].spot_price}).
 */
public record FleetCatalog(
        List<InstanceType> instanceTypes,
        List<Subnet> subnets,
        int minInstances,
        int maxInstances,
        Duration idleDuration,
        String priceSource,
        boolean rightSizing) {

    public static final int MAX_TYPES = 20;
    public static final int MAX_SUBNETS = 16;
    public static final int INSTANCE_LIMIT = 1000;
    public static final Duration DEFAULT_IDLE = Duration.ofMinutes(10);
    public static final Duration MAX_IDLE = Duration.ofDays(7);
    /** The most an instance may cost an hour, in dollars: a guard against a price typed in cents or per month. */
    public static final BigDecimal MAX_PRICE = BigDecimal.valueOf(1000);

    private static final Set<String> KNOWN = Set.of("instance_types", "subnets", "min_instances", "max_instances", "idle_duration",
            "price_source", "right_sizing");
    private static final Set<String> KNOWN_TYPE = Set.of("name", "accelerator", "slots", "purchase_options", "on_demand_price",
            "spot_price", "max_instances", "zones");
    private static final Set<String> KNOWN_SUBNET = Set.of("zone", "subnet_id");
    private static final Pattern TYPE_NAME = Pattern.compile("[a-z][a-z0-9-]{0,15}\\.[a-z0-9-]{1,24}");
    private static final Pattern ZONE = Pattern.compile("[a-z]{2}(-[a-z]+)+-[0-9]+[a-z]");
    private static final Pattern SUBNET_ID = Pattern.compile("subnet-[0-9a-f]{8}([0-9a-f]{9})?");

    public FleetCatalog {
        instanceTypes = List.copyOf(instanceTypes);
        subnets = List.copyOf(subnets);
    }

    /** The same catalog with right-sizing on or off. */
    public FleetCatalog withRightSizing(boolean on) {
        return new FleetCatalog(instanceTypes, subnets, minInstances, maxInstances, idleDuration, priceSource, on);
    }

    public Optional<InstanceType> type(String name) {
        return instanceTypes.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /** The subnets a type may launch into, in the catalog's order. */
    public List<Subnet> subnetsOf(InstanceType t) {
        return t.zones().isEmpty() ? subnets : subnets.stream().filter(s -> t.zones().contains(s.zone())).toList();
    }

    /** Parses a full definition (PUT): every field is checked; missing optional fields take their defaults. */
    public static FleetCatalog parse(RequestFields f) {
        f.refuseUnknownOrNull(KNOWN);
        List<Subnet> subnets = subnets(f);
        Set<String> zones = new LinkedHashSet<>();
        subnets.forEach(s -> zones.add(s.zone()));

        int min = f.optionalInt("min_instances", 0, INSTANCE_LIMIT).orElse(0);
        int max = f.optionalInt("max_instances", 0, INSTANCE_LIMIT)
                .orElseThrow(() -> DomainException.invalid(f.path("max_instances"), "is required: the most instances the fleet may run at once"));
        if (min > max) {
            throw DomainException.invalid(f.path("min_instances"), "must not be more than max_instances (" + max + ")");
        }

        Duration idle = DEFAULT_IDLE;
        if (f.has("idle_duration")) {
            String text = f.optionalDurationText("idle_duration").orElseThrow();
            idle = DurationText.parse(text).filter(d -> !d.isZero() && d.compareTo(MAX_IDLE) <= 0)
                    .orElseThrow(() -> DomainException.invalid(f.path("idle_duration"),
                            "must be a number of seconds or a duration such as 90s, 10m or 2h, more than 0 and at most 7 days, not '" + text + "'"));
        }

        String source = f.optionalString("price_source").orElse("");
        if (source.length() > 512) {
            throw DomainException.invalid(f.path("price_source"), "must be at most 512 characters");
        }

        Object rawTypes = f.raw().get("instance_types");
        if (!(rawTypes instanceof List<?> list) || list.isEmpty()) {
            throw DomainException.invalid(f.path("instance_types"), "must be a non-empty list of instance types");
        }
        if (list.size() > MAX_TYPES) {
            throw DomainException.invalid(f.path("instance_types"), "must list at most " + MAX_TYPES + " instance types");
        }
        List<InstanceType> types = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            String at = f.path("instance_types") + "[" + i + "]";
            if (!(list.get(i) instanceof Map<?, ?> m)) {
                throw DomainException.invalid(at, "must be an object");
            }
            @SuppressWarnings("unchecked")
            InstanceType t = instanceType(RequestFields.of((Map<String, Object>) m).at(at), max, zones);
            if (!names.add(t.name())) {
                throw DomainException.invalid(at + ".name", "must be unique in the catalog; '" + t.name() + "' is listed twice");
            }
            types.add(t);
        }
        boolean rightSizing = f.optionalBoolean("right_sizing").orElse(true);
        return new FleetCatalog(types, subnets, min, max, idle, source, rightSizing);
    }

    private static List<Subnet> subnets(RequestFields f) {
        Object raw = f.raw().get("subnets");
        if (!(raw instanceof List<?> list) || list.isEmpty()) {
            throw DomainException.invalid(f.path("subnets"), "must be a non-empty list of {zone, subnet_id}");
        }
        if (list.size() > MAX_SUBNETS) {
            throw DomainException.invalid(f.path("subnets"), "must list at most " + MAX_SUBNETS + " subnets");
        }
        List<Subnet> out = new ArrayList<>();
        Set<String> zones = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            String at = f.path("subnets") + "[" + i + "]";
            if (!(list.get(i) instanceof Map<?, ?> m)) {
                throw DomainException.invalid(at, "must be an object with zone and subnet_id");
            }
            @SuppressWarnings("unchecked")
            RequestFields s = RequestFields.of((Map<String, Object>) m).at(at);
            s.refuseUnknownOrNull(KNOWN_SUBNET);
            String zone = s.optionalString("zone").orElseThrow(() -> DomainException.invalid(s.path("zone"), "is required"));
            if (!ZONE.matcher(zone).matches()) {
                throw DomainException.invalid(s.path("zone"), "must be an availability zone name such as us-east-1a, not '" + zone + "'");
            }
            String id = s.optionalString("subnet_id").orElseThrow(() -> DomainException.invalid(s.path("subnet_id"), "is required"));
            if (!SUBNET_ID.matcher(id).matches()) {
                throw DomainException.invalid(s.path("subnet_id"), "must be a subnet id such as subnet-0123456789abcdef0, not '" + id + "'");
            }
            if (!zones.add(zone)) {
                throw DomainException.invalid(s.path("zone"), "must be unique: one subnet per zone, and '" + zone + "' is listed twice");
            }
            out.add(new Subnet(zone, id));
        }
        return out;
    }

    private static InstanceType instanceType(RequestFields t, int groupMax, Set<String> zones) {
        t.refuseUnknownOrNull(KNOWN_TYPE);
        String name = t.optionalString("name").orElseThrow(() -> DomainException.invalid(t.path("name"), "is required"));
        if (!TYPE_NAME.matcher(name).matches()) {
            throw DomainException.invalid(t.path("name"), "must be an EC2 instance type such as g5.xlarge, not '" + name + "'");
        }
        Optional<String> accelerator = t.optionalString("accelerator");
        if (accelerator.isPresent() && (accelerator.get().isBlank() || accelerator.get().length() > 64)) {
            throw DomainException.invalid(t.path("accelerator"), "must be 1-64 characters, such as 'NVIDIA A10G 24 GiB'");
        }
        RequestFields slotFields = t.optionalObject("slots").orElseThrow(() -> DomainException.invalid(t.path("slots"),
                "is required: the slots an agent on this type provides, such as {\"cuda.device\": 1, \"cpu\": 4, \"mem\": \"16g\"}"));
        ResourceSlots slots = ResourceSlots.parse(slotFields);
        if (slots.get(ResourceSlots.CPU).signum() == 0 || slots.get(ResourceSlots.MEM).signum() == 0) {
            throw DomainException.invalid(t.path("slots"), "must give cpu and mem, each more than 0");
        }

        List<String> optionNames = t.optionalStringList("purchase_options").orElse(List.of("on-demand"));
        if (optionNames.isEmpty()) {
            throw DomainException.invalid(t.path("purchase_options"), "must list spot, on-demand or both");
        }
        Set<PurchaseOption> options = new LinkedHashSet<>();
        for (String o : optionNames) {
            PurchaseOption p = PurchaseOption.fromWire(o).orElseThrow(() -> DomainException.invalid(t.path("purchase_options"),
                    "must list only spot or on-demand, not '" + o + "'"));
            if (!options.add(p)) {
                throw DomainException.invalid(t.path("purchase_options"), "must not list '" + o + "' twice");
            }
        }
        Optional<Long> onDemand = price(t, "on_demand_price");
        Optional<Long> spot = price(t, "spot_price");
        if (options.contains(PurchaseOption.ON_DEMAND) && onDemand.isEmpty()) {
            throw DomainException.invalid(t.path("on_demand_price"), "is required when purchase_options has on-demand");
        }
        if (options.contains(PurchaseOption.SPOT) && spot.isEmpty()) {
            throw DomainException.invalid(t.path("spot_price"), "is required when purchase_options has spot");
        }
        int max = t.optionalInt("max_instances", 0, INSTANCE_LIMIT).orElse(groupMax);
        if (max > groupMax) {
            throw DomainException.invalid(t.path("max_instances"), "must not be more than the catalog's max_instances (" + groupMax + ")");
        }
        List<String> typeZones = t.optionalStringList("zones").orElse(List.of());
        for (String z : typeZones) {
            if (!zones.contains(z)) {
                throw DomainException.invalid(t.path("zones"), "must list only zones of the catalog's subnets " + zones + ", not '" + z + "'");
            }
        }
        if (t.has("zones") && typeZones.isEmpty()) {
            throw DomainException.invalid(t.path("zones"), "must not be empty; leave it out to allow every zone of the catalog");
        }
        return new InstanceType(name, accelerator, slots, List.copyOf(options), onDemand, spot, max, List.copyOf(new LinkedHashSet<>(typeZones)));
    }

    /** An hourly price in dollars (a number or a decimal string), more than 0, at most 1000, at most 6 decimals. */
    private static Optional<Long> price(RequestFields t, String field) {
        Object v = t.raw().get(field);
        if (v == null) {
            return Optional.empty();
        }
        BigDecimal d;
        try {
            if (v instanceof Number || v instanceof String) {
                d = new BigDecimal(v.toString().trim());
            } else {
                throw DomainException.invalid(t.path(field), "must be a price in dollars an hour, such as 1.006 or \"1.006\"");
            }
        } catch (NumberFormatException e) {
            throw DomainException.invalid(t.path(field), "must be a price in dollars an hour, such as 1.006, not '" + v + "'");
        }
        if (d.signum() <= 0 || d.compareTo(MAX_PRICE) > 0) {
            throw DomainException.invalid(t.path(field), "must be more than 0 and at most " + MAX_PRICE + " dollars an hour");
        }
        if (d.stripTrailingZeros().scale() > 6) {
            throw DomainException.invalid(t.path(field), "must have at most 6 decimal places");
        }
        return Optional.of(d.movePointRight(6).longValueExact());
    }

    /** A price in micro-dollars as the decimal text an admin writes ({@code 1006000} -> {@code "1.006"}). */
    public static String dollars(long microUsd) {
        return BigDecimal.valueOf(microUsd, 6).stripTrailingZeros().toPlainString();
    }
}
