package dev.sluice.local;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Dependency cycles between the resources of a (plain CloudFormation) template, in every configuration it can be
 * deployed in. A resource depends on another when it names it by {@code Ref}, {@code Fn::GetAtt}, {@code Fn::Sub}
 * ({@code ${X}}, {@code ${X.Attr}}; names the variables map defines are not resources) or {@code DependsOn}.
 *
 * <p>Configurations: once with the conditions ignored (every resource, both branches of every {@code Fn::If}), then
 * once for each combination of truth values of the named conditions, taken as independent booleans (a superset of the
 * combinations the parameters can produce): a resource whose {@code Condition} is false is left out, and each
 * {@code Fn::If} takes the branch the combination chooses.
 */
final class DependencyCycles {
    /** Templates with more conditions than this are refused rather than checked for hours. */
    static final int MAX_CONDITIONS = 16;
    static final String CONDITIONS_IGNORED = "conditions ignored";
    private static final Pattern SUB_VARIABLE = Pattern.compile("\\$\\{([^}!][^}]*)}");

    /** A cycle found in one configuration: the resources in dependency order, the first repeated at the end. */
    record Cycle(String configuration, List<String> resources) {
        @Override
        public String toString() {
            return String.join(" -> ", resources) + " (" + configuration + ")";
        }
    }

    private DependencyCycles() {
    }

    /** The cycles of every configuration (at most one per configuration); empty when the template is acyclic in all. */
    static List<Cycle> find(JsonNode template) {
        List<String> conditions = new ArrayList<>();
        template.path("Conditions").fieldNames().forEachRemaining(conditions::add);
        if (conditions.size() > MAX_CONDITIONS) {
            throw new IllegalArgumentException("the template has " + conditions.size() + " conditions; at most "
                    + MAX_CONDITIONS + " can be checked in every combination");
        }
        List<Cycle> found = new ArrayList<>();
        cycle(template, null).ifPresent(c -> found.add(new Cycle(CONDITIONS_IGNORED, c)));
        // Without conditions there is one configuration, the one just checked.
        long combinations = conditions.isEmpty() ? 0 : 1L << conditions.size();
        for (long bits = 0; bits < combinations; bits++) {
            Map<String, Boolean> truth = new TreeMap<>();
            for (int i = 0; i < conditions.size(); i++) {
                truth.put(conditions.get(i), (bits & (1L << i)) != 0);
            }
            cycle(template, truth).ifPresent(c -> found.add(new Cycle(truth.toString(), c)));
        }
        return found;
    }

    /** The dependencies of each resource deployed in one configuration ({@code truth} null: conditions ignored). */
    static Map<String, Set<String>> graph(JsonNode template, Map<String, Boolean> truth) {
        JsonNode resources = template.path("Resources");
        Set<String> present = new LinkedHashSet<>();
        resources.fieldNames().forEachRemaining(name -> {
            JsonNode condition = resources.get(name).get("Condition");
            if (truth == null || condition == null || holds(truth, condition.asText())) {
                present.add(name);
            }
        });
        Map<String, Set<String>> edges = new LinkedHashMap<>();
        for (String name : present) {
            JsonNode resource = resources.get(name);
            Set<String> to = new LinkedHashSet<>();
            Iterator<Map.Entry<String, JsonNode>> fields = resource.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                switch (field.getKey()) {
                    case "Type", "Condition" -> { }
                    case "DependsOn" -> {
                        if (field.getValue().isArray()) {
                            field.getValue().forEach(d -> to.add(d.asText()));
                        } else {
                            to.add(field.getValue().asText());
                        }
                    }
                    default -> references(field.getValue(), truth, to);
                }
            }
            to.retainAll(present);
            edges.put(name, to);
        }
        return edges;
    }

    private static void references(JsonNode node, Map<String, Boolean> truth, Set<String> to) {
        if (node.isArray()) {
            node.forEach(n -> references(n, truth, to));
            return;
        }
        if (!node.isObject()) {
            return;
        }
        if (node.size() == 1) {
            String function = node.fieldNames().next();
            JsonNode args = node.get(function);
            switch (function) {
                case "Ref" -> {
                    to.add(args.asText());
                    return;
                }
                case "Fn::GetAtt" -> {
                    to.add(args.isArray() ? args.get(0).asText() : args.asText().split("\\.", 2)[0]);
                    return;
                }
                case "Fn::Sub" -> {
                    String text = args.isArray() ? args.get(0).asText() : args.asText();
                    Set<String> variables = new LinkedHashSet<>();
                    if (args.isArray() && args.size() > 1) {
                        args.get(1).fieldNames().forEachRemaining(variables::add);
                        references(args.get(1), truth, to);
                    }
                    Matcher m = SUB_VARIABLE.matcher(text);
                    while (m.find()) {
                        String name = m.group(1).trim();
                        if (!variables.contains(name)) {
                            to.add(name.split("\\.", 2)[0]);
                        }
                    }
                    return;
                }
                case "Fn::If" -> {
                    if (truth == null) {
                        references(args.get(1), truth, to);
                        references(args.get(2), truth, to);
                    } else {
                        references(holds(truth, args.get(0).asText()) ? args.get(1) : args.get(2), truth, to);
                    }
                    return;
                }
                default -> { }
            }
        }
        node.forEach(n -> references(n, truth, to));
    }

    private static boolean holds(Map<String, Boolean> truth, String condition) {
        Boolean value = truth.get(condition);
        if (value == null) {
            throw new IllegalArgumentException("the template uses the condition " + condition + ", which it does not define");
        }
        return value;
    }

    /** One cycle of the configuration's dependency graph, if it has any. */
    static java.util.Optional<List<String>> cycle(JsonNode template, Map<String, Boolean> truth) {
        Map<String, Set<String>> edges = graph(template, truth);
        Map<String, Integer> state = new LinkedHashMap<>(); // absent: unvisited, 1: on the path, 2: done
        for (String start : edges.keySet()) {
            if (!state.containsKey(start)) {
                List<String> path = new ArrayList<>();
                List<String> cycle = visit(start, edges, state, path);
                if (cycle != null) {
                    return java.util.Optional.of(cycle);
                }
            }
        }
        return java.util.Optional.empty();
    }

    private static List<String> visit(String node, Map<String, Set<String>> edges, Map<String, Integer> state, List<String> path) {
        state.put(node, 1);
        path.add(node);
        for (String next : edges.get(node)) {
            Integer s = state.get(next);
            if (s != null && s == 1) {
                List<String> cycle = new ArrayList<>(path.subList(path.indexOf(next), path.size()));
                cycle.add(next);
                return cycle;
            }
            if (s == null) {
                List<String> cycle = visit(next, edges, state, path);
                if (cycle != null) {
                    return cycle;
                }
            }
        }
        path.remove(path.size() - 1);
        state.put(node, 2);
        return null;
    }
}
