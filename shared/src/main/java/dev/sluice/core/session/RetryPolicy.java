package dev.sluice.core.session;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.json.JsonObject;
import dev.sluice.core.json.JsonValue;
import dev.sluice.core.request.RequestFields;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A session's {@code retry}: how many attempts it may take in all ({@code attempts}, the first included, 1 to
 * {@link #MAX_ATTEMPTS}) and the rules that decide, in order, whether an attempt's end re-queues the session or stands.
 * The first rule whose condition matches decides; when none matches, the end stands (exit). A retry rule that matches
 * once the attempts are used up lets the end stand too. AWS Batch's {@code evaluateOnExit} matches exit codes and
 * reason globs; here the conditions also name what Sluice knows for certain (a spot interruption, a lost agent, folder
 * staging), and exit codes are ranges rather than globs. With {@code on_demand_after} (1 to 10), once that many of its
 * attempts ended {@code spot-interrupted} the session asks for on-demand capacity only ({@link Session#onDemandOnly}).
 */
public record RetryPolicy(int attempts, List<Rule> rules, Optional<Integer> onDemandAfter) {
    public static final String FIELD = "retry";
    public static final int MAX_ATTEMPTS = 10;
    public static final int MAX_RULES = 16;
    private static final Set<String> KNOWN = Set.of("attempts", "rules", "on_demand_after");
    private static final Set<String> RULE_FIELDS = Set.of("on", "action", "codes", "pattern");
    private static final Pattern GLOB = Pattern.compile("[A-Za-z0-9._*?-]{1,64}");

    public RetryPolicy {
        rules = List.copyOf(rules);
        onDemandAfter = onDemandAfter == null ? Optional.empty() : onDemandAfter;
        if (attempts < 1 || attempts > MAX_ATTEMPTS) {
            throw new IllegalArgumentException("attempts must be 1 to " + MAX_ATTEMPTS);
        }
    }

    /** Rules without an on-demand switch. */
    public RetryPolicy(int attempts, List<Rule> rules) {
        this(attempts, rules, Optional.empty());
    }

    /**
     * Whether a session with these rules should run on on-demand capacity only, after {@code spotInterruptions} of its
     * attempts ended {@code spot-interrupted}: {@code on_demand_after} of them (the fleet reads it, {@link Session#onDemandOnly}).
     */
    public boolean onDemandOnlyAfter(long spotInterruptions) {
        return onDemandAfter.filter(n -> spotInterruptions >= n).isPresent();
    }

    /** What an attempt's end is matched on. */
    public enum Condition {
        SPOT_INTERRUPTED("spot-interrupted"),
        AGENT_LOST("agent-lost"),
        FOLDER_STAGING_FAILED("folder-staging-failed"),
        EXIT_CODE("exit-code"),
        STATUS_INFO("status-info");

        private final String wire;

        Condition(String wire) {
            this.wire = wire;
        }

        public String wireName() {
            return wire;
        }

        static Optional<Condition> fromWire(String text) {
            for (Condition c : values()) {
                if (c.wire.equals(text)) {
                    return Optional.of(c);
                }
            }
            return Optional.empty();
        }
    }

    /** What a matching rule does. */
    public enum Action {
        RETRY, EXIT;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** An inclusive range of exit codes. */
    public record CodeRange(int from, int to) {
        boolean contains(int code) {
            return code >= from && code <= to;
        }

        @Override
        public String toString() {
            return from == to ? Integer.toString(from) : from + "-" + to;
        }
    }

    /**
     * One rule: {@code on} a condition, {@code action} retry or exit; {@code codes} only for {@code exit-code},
     * {@code pattern} (a glob of the end's status_info, {@code *} and {@code ?}) only for {@code status-info}.
     */
    public record Rule(Condition on, Action action, List<CodeRange> codes, Optional<String> pattern) {
        public Rule {
            codes = List.copyOf(codes);
        }

        boolean matches(End end) {
            return switch (on) {
                case SPOT_INTERRUPTED -> end.statusInfo().equals("spot-interrupted");
                case AGENT_LOST -> end.statusInfo().equals("agent-lost");
                case FOLDER_STAGING_FAILED -> end.statusInfo().equals("folder-staging-failed");
                case EXIT_CODE -> end.exitCode().filter(c -> codes.stream().anyMatch(r -> r.contains(c))).isPresent();
                case STATUS_INFO -> globMatches(pattern.orElseThrow(), end.statusInfo());
            };
        }

        /** {@code retry on exit-code 1-5,137}, as a verdict quotes it. */
        public String describe() {
            String what = switch (on) {
                case EXIT_CODE -> "exit-code " + codesText(codes);
                case STATUS_INFO -> "status-info " + pattern.orElseThrow();
                default -> on.wireName();
            };
            return action.wireName() + " on " + what;
        }
    }

    /** An attempt's end as the rules see it: its status, status_info and exit code (when the workload gave one). */
    public record End(SessionStatus status, String statusInfo, Optional<Integer> exitCode) {
    }

    /** What the rules decided of one end. {@code rule} is the 1-based rule that matched (0: none). */
    public record Verdict(boolean retry, int rule, String reason) {
    }

    /**
     * Decides the end of attempt {@code attempt} (1-based): the first matching rule; a retry only while attempts remain.
     */
    public Verdict evaluate(End end, int attempt) {
        for (int i = 0; i < rules.size(); i++) {
            Rule r = rules.get(i);
            if (!r.matches(end)) {
                continue;
            }
            String rule = "rule " + (i + 1) + " (" + r.describe() + ")";
            if (r.action() == Action.EXIT) {
                return new Verdict(false, i + 1, rule + " matched: the end stands");
            }
            if (attempt >= attempts) {
                return new Verdict(false, i + 1, rule + " matched, but all " + attempts + " attempts are used: the end stands");
            }
            return new Verdict(true, i + 1, rule + " matched: re-queued as attempt " + (attempt + 1) + " of " + attempts);
        }
        return new Verdict(false, 0, "no retry rule matched: the end stands");
    }

    /** Parses {@code retry} of a create request, naming each refused field by its path ({@code retry.rules[1].codes}). */
    @SuppressWarnings("unchecked")
    public static RetryPolicy parse(RequestFields f) {
        f.refuseUnknownOrNull(KNOWN);
        int attempts = f.optionalInt("attempts", 1, MAX_ATTEMPTS)
                .orElseThrow(() -> DomainException.invalid(f.path("attempts"), "is required: the attempts in all, the first included, 1 to " + MAX_ATTEMPTS));
        Object raw = f.raw().get("rules");
        String rulesPath = f.path("rules");
        if (raw == null) {
            throw DomainException.invalid(rulesPath, "is required: a list of rules such as {\"on\": \"spot-interrupted\", \"action\": \"retry\"}");
        }
        if (!(raw instanceof List<?> list)) {
            throw DomainException.invalid(rulesPath, "must be a list of rules");
        }
        if (list.isEmpty() || list.size() > MAX_RULES) {
            throw DomainException.invalid(rulesPath, "must list 1 to " + MAX_RULES + " rules");
        }
        List<Rule> rules = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String at = rulesPath + "[" + i + "]";
            if (!(list.get(i) instanceof Map<?, ?> m)) {
                throw DomainException.invalid(at, "must be an object such as {\"on\": \"exit-code\", \"codes\": \"1-5,137\", \"action\": \"retry\"}");
            }
            rules.add(parseRule(RequestFields.of((Map<String, Object>) m), at));
        }
        Optional<Integer> onDemandAfter = f.optionalInt("on_demand_after", 1, MAX_ATTEMPTS);
        return new RetryPolicy(attempts, rules, onDemandAfter);
    }

    private static Rule parseRule(RequestFields raw, String at) {
        // Errors name the rule's fields by their path in the request.
        for (Map.Entry<String, Object> e : raw.raw().entrySet()) {
            if (!RULE_FIELDS.contains(e.getKey())) {
                throw DomainException.invalid(at + "." + e.getKey(), "is not a known field; the known fields are "
                        + RULE_FIELDS.stream().sorted().toList());
            }
            if (e.getValue() == null) {
                throw DomainException.invalid(at + "." + e.getKey(), "must not be null; leave the field out");
            }
        }
        String onText = text(raw, "on", at).orElseThrow(() -> DomainException.invalid(at + ".on", "is required: one of " + conditionNames()));
        Condition on = Condition.fromWire(onText).orElseThrow(() -> DomainException.invalid(at + ".on",
                "must be one of " + conditionNames() + ", not '" + onText + "'"));
        String actionText = text(raw, "action", at).orElseThrow(() -> DomainException.invalid(at + ".action", "is required: retry or exit"));
        Action action = switch (actionText) {
            case "retry" -> Action.RETRY;
            case "exit" -> Action.EXIT;
            default -> throw DomainException.invalid(at + ".action", "must be retry or exit, not '" + actionText + "'");
        };
        Optional<String> codesText = text(raw, "codes", at);
        Optional<String> pattern = text(raw, "pattern", at);
        if (on == Condition.EXIT_CODE && codesText.isEmpty()) {
            throw DomainException.invalid(at + ".codes", "is required for exit-code: codes and ranges such as \"1-5,137,143\"");
        }
        if (on != Condition.EXIT_CODE && codesText.isPresent()) {
            throw DomainException.invalid(at + ".codes", "is only for a rule on exit-code");
        }
        if (on == Condition.STATUS_INFO && pattern.isEmpty()) {
            throw DomainException.invalid(at + ".pattern", "is required for status-info: a glob of the status_info such as \"task-*\"");
        }
        if (on != Condition.STATUS_INFO && pattern.isPresent()) {
            throw DomainException.invalid(at + ".pattern", "is only for a rule on status-info");
        }
        pattern.ifPresent(p -> {
            if (!GLOB.matcher(p).matches()) {
                throw DomainException.invalid(at + ".pattern", "must be 1-64 characters of letters, digits, '.', '_', '-' and the wildcards '*' and '?'");
            }
        });
        List<CodeRange> codes = codesText.map(c -> parseCodes(c, at + ".codes")).orElse(List.of());
        return new Rule(on, action, codes, pattern);
    }

    private static Optional<String> text(RequestFields raw, String field, String at) {
        Object v = raw.raw().get(field);
        if (v == null) {
            return Optional.empty();
        }
        if (!(v instanceof String s)) {
            throw DomainException.invalid(at + "." + field, "must be a string");
        }
        return Optional.of(s.strip());
    }

    private static final Pattern CODE = Pattern.compile("-?[0-9]{1,3}");

    /**
     * Exit codes and inclusive ranges, comma-separated: {@code "1-5,137,143"}; each code -255 to 255 (what an agent
     * reports), a range's start not after its end.
     */
    static List<CodeRange> parseCodes(String text, String field) {
        List<CodeRange> out = new ArrayList<>();
        String[] parts = text.split(",", -1);
        if (parts.length > 64) {
            throw DomainException.invalid(field, "must list at most 64 codes or ranges");
        }
        for (String part : parts) {
            String p = part.strip();
            // A range's dash follows a digit: "-5" is a code, "1-5" and "-5--1" are ranges.
            int dash = -1;
            for (int i = 1; i < p.length(); i++) {
                if (p.charAt(i) == '-' && Character.isDigit(p.charAt(i - 1))) {
                    dash = i;
                    break;
                }
            }
            String from = dash < 0 ? p : p.substring(0, dash);
            String to = dash < 0 ? p : p.substring(dash + 1);
            if (!CODE.matcher(from).matches() || !CODE.matcher(to).matches()) {
                throw DomainException.invalid(field, "must be exit codes and ranges such as \"1-5,137,143\"; '" + p + "' is neither");
            }
            int a = Integer.parseInt(from);
            int b = Integer.parseInt(to);
            if (a < -255 || a > 255 || b < -255 || b > 255) {
                throw DomainException.invalid(field, "must hold exit codes from -255 to 255; '" + p + "' is outside");
            }
            if (a > b) {
                throw DomainException.invalid(field, "has the range '" + p + "', which ends before it starts");
            }
            out.add(new CodeRange(a, b));
        }
        return out;
    }

    static String codesText(List<CodeRange> codes) {
        return String.join(",", codes.stream().map(CodeRange::toString).toList());
    }

    private static List<String> conditionNames() {
        return java.util.Arrays.stream(Condition.values()).map(Condition::wireName).toList();
    }

    /** {@code *} any run of characters, {@code ?} one character, the rest literally. */
    static boolean globMatches(String glob, String text) {
        StringBuilder regex = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> regex.append(".*");
                case '?' -> regex.append('.');
                default -> regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return text.matches(regex.toString());
    }

    /** The policy as the API shows it and the store keeps it: {@code {attempts, rules: [{on, action, codes?, pattern?}]}}. */
    public JsonObject toWire() {
        List<JsonObject> wire = new ArrayList<>();
        for (Rule r : rules) {
            JsonObject.Builder m = JsonObject.builder().put("on", r.on().wireName()).put("action", r.action().wireName());
            if (!r.codes().isEmpty()) {
                m.put("codes", codesText(r.codes()));
            }
            r.pattern().ifPresent(p -> m.put("pattern", p));
            wire.add(m.build());
        }
        JsonObject.Builder out = JsonObject.builder().put("attempts", attempts).put("rules", wire);
        onDemandAfter.ifPresent(n -> out.put("on_demand_after", n));
        return out.build();
    }

    /** A policy as {@link #toWire} wrote it (what the store kept), read as a request's would be. */
    public static RetryPolicy fromWire(JsonObject wire) {
        return parse(RequestFields.of(Map.of(FIELD, plain(wire))).optionalObject(FIELD).orElseThrow());
    }

    private static Object plain(JsonValue v) {
        if (v instanceof JsonObject o) {
            Map<String, Object> m = new LinkedHashMap<>();
            o.fields().forEach((k, x) -> m.put(k, plain(x)));
            return m;
        } else if (v instanceof JsonValue.Array a) {
            return a.items().stream().map(RetryPolicy::plain).toList();
        } else if (v instanceof JsonValue.Text t) {
            return t.value();
        } else if (v instanceof JsonValue.Num n) {
            return n.value();
        } else if (v instanceof JsonValue.Bool b) {
            return b.value();
        }
        return null;
    }
}
