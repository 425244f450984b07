package dev.sluice.local.iam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The IAM contract: every AWS call a function made (recorded by {@link AwsCallRecorder}) needs IAM actions
 * ({@link IamActions}) that the function's role in the expanded template grants. A role's grants are its inline
 * policies and every {@code AWS::IAM::Policy} or {@code AWS::IAM::ManagedPolicy} of the stack attached to it, with the
 * template's references resolved in the deployed stack ({@link TemplateValues}). Statements match as IAM matches them:
 * {@code *} and {@code ?} in actions (case-insensitively) and resources, {@code NotAction} and {@code NotResource}, an
 * explicit Deny over any Allow. IAM {@code Condition} elements are ignored (a conditional grant counts as a grant), and
 * so are managed policies named by ARN (AWS's own, such as AWSLambdaBasicExecutionRole, grant logs only).
 */
public final class IamContract {
    private final JsonNode template;
    private final StackFacts stack;
    private final TemplateValues values;
    private final Map<String, List<Statement>> grants = new HashMap<>();

    public IamContract(JsonNode template, StackFacts stack) {
        this.template = template;
        this.stack = stack;
        this.values = new TemplateValues(template, stack);
    }

    /** A call that its function's role does not allow, or that the contract cannot judge. */
    public record Violation(String function, AwsCall call, String action, String resource, String reason) {
        @Override
        public String toString() {
            return function + " calls " + call + ": " + reason;
        }
    }

    /** What a check found: the violations, and each (function, action) pair it checked. */
    public record Report(List<Violation> violations, Set<String> checked) {
    }

    public Report check(List<AwsCall> calls) {
        List<Violation> violations = new ArrayList<>();
        Set<String> checked = new TreeSet<>();
        Set<String> reported = new java.util.HashSet<>();
        for (AwsCall call : calls) {
            String function = stack.functionLogicalId(call.function()).orElse(null);
            if (function == null) {
                violations.add(new Violation(call.function(), call, "?", call.resource(),
                        "the deployed stack has no function " + call.function()));
                continue;
            }
            List<IamActions.Need> needs;
            try {
                needs = IamActions.needs(call, stack);
            } catch (IamActions.Unknown e) {
                violations.add(new Violation(function, call, "?", call.resource(), e.getMessage()));
                continue;
            }
            List<Statement> statements = grantsOf(function);
            for (IamActions.Need need : needs) {
                checked.add(function + " " + need.action());
                if (!allowed(statements, need) && reported.add(function + " " + need)) {
                    violations.add(new Violation(function, call, need.action(), need.resource(),
                            "its role " + roleOf(function) + " does not grant " + need.action() + " on " + need.resource()));
                }
            }
        }
        return new Report(violations, checked);
    }

    /** The logical id of a function's role ({@code Role: !GetAtt R.Arn}). */
    public String roleOf(String function) {
        JsonNode role = template.path("Resources").path(function).path("Properties").path("Role");
        JsonNode getAtt = role.get("Fn::GetAtt");
        if (getAtt == null) {
            throw new IllegalArgumentException(function + " has no role of this stack (Role: " + role + ")");
        }
        return getAtt.isArray() ? getAtt.get(0).asText() : getAtt.asText().substring(0, getAtt.asText().indexOf('.'));
    }

    /** Every statement of the function's role: inline, and the stack's policies attached to it. */
    List<Statement> grantsOf(String function) {
        return grants.computeIfAbsent(function, f -> {
            String role = roleOf(f);
            List<Statement> statements = new ArrayList<>();
            JsonNode policies = template.path("Resources").path(role).path("Properties").path("Policies");
            for (Object policy : TemplateValues.list(values.resolve(policies.isMissingNode() ? com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode() : policies))) {
                statements.addAll(statements(role + "/" + ((Map<?, ?>) policy).get("PolicyName"), ((Map<?, ?>) policy).get("PolicyDocument")));
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = template.path("Resources").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> r = it.next();
                String type = r.getValue().path("Type").asText();
                if (!(type.equals("AWS::IAM::Policy") || type.equals("AWS::IAM::ManagedPolicy")) || !values.deployed(r.getKey())) {
                    continue;
                }
                boolean attached = false;
                for (JsonNode roleRef : r.getValue().path("Properties").path("Roles")) {
                    attached |= roleRef.path("Ref").asText().equals(role);
                }
                if (attached) {
                    statements.addAll(statements(r.getKey(), values.resolve(r.getValue().path("Properties").path("PolicyDocument"))));
                }
            }
            return statements;
        });
    }

    /** One statement, resolved. */
    record Statement(String source, boolean allow, List<String> actions, boolean notAction, List<String> resources, boolean notResource) {
        boolean matches(IamActions.Need need) {
            boolean action = actions.stream().anyMatch(a -> wildcard(a, true).matcher(need.action()).matches()) != notAction;
            boolean resource = resources.stream().anyMatch(r -> wildcard(r, false).matcher(need.resource()).matches()) != notResource;
            return action && resource;
        }
    }

    private static List<Statement> statements(String source, Object document) {
        if (!(document instanceof Map<?, ?> doc)) {
            throw new IllegalArgumentException("the policy " + source + " has no document");
        }
        Object s = doc.get("Statement");
        List<Object> list = s instanceof List<?> l ? new ArrayList<>(l) : List.of(s);
        List<Statement> out = new ArrayList<>();
        for (Object o : list) {
            Map<?, ?> st = (Map<?, ?>) o;
            boolean notAction = st.containsKey("NotAction");
            boolean notResource = st.containsKey("NotResource");
            out.add(new Statement(source, "Allow".equals(st.get("Effect")), strings(st.get(notAction ? "NotAction" : "Action")), notAction,
                    strings(st.get(notResource ? "NotResource" : "Resource")), notResource));
        }
        return out;
    }

    private static List<String> strings(Object value) {
        if (value == null) {
            return List.of();
        }
        if (value instanceof String s) {
            return List.of(s);
        }
        List<String> out = new ArrayList<>();
        for (Object o : TemplateValues.list(value)) {
            out.add(TemplateValues.text(o));
        }
        return out;
    }

    static boolean allowed(List<Statement> statements, IamActions.Need need) {
        boolean allow = false;
        for (Statement s : statements) {
            if (s.matches(need)) {
                if (!s.allow()) {
                    return false;
                }
                allow = true;
            }
        }
        return allow;
    }

    private static final Map<String, Pattern> PATTERNS = new java.util.concurrent.ConcurrentHashMap<>();

    /** An IAM pattern: {@code *} any run of characters, {@code ?} any one; actions compare case-insensitively. */
    static Pattern wildcard(String pattern, boolean caseInsensitive) {
        return PATTERNS.computeIfAbsent((caseInsensitive ? "i " : "s ") + pattern, k -> {
            StringBuilder regex = new StringBuilder();
            for (char c : pattern.toCharArray()) {
                switch (c) {
                    case '*' -> regex.append(".*");
                    case '?' -> regex.append('.');
                    default -> regex.append(Pattern.quote(String.valueOf(c)));
                }
            }
            return Pattern.compile(regex.toString(), caseInsensitive ? Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE : 0);
        });
    }

    /**
     * The template with {@code action} taken out of every statement of the role's inline policies and of the stack's
     * policies attached to it that names it (a statement left with no action goes): a grant removed, for the proof
     * that the contract fails without it. Wildcards that cover the action are left alone; the caller checks that the
     * grant is gone by checking again.
     */
    public static JsonNode withoutAction(JsonNode template, String role, String action) {
        JsonNode copy = template.deepCopy();
        List<JsonNode> documents = new ArrayList<>();
        for (JsonNode p : copy.path("Resources").path(role).path("Properties").path("Policies")) {
            documents.add(p.path("PolicyDocument"));
        }
        for (JsonNode r : copy.path("Resources")) {
            String type = r.path("Type").asText();
            if (type.equals("AWS::IAM::Policy") || type.equals("AWS::IAM::ManagedPolicy")) {
                for (JsonNode roleRef : r.path("Properties").path("Roles")) {
                    if (roleRef.path("Ref").asText().equals(role)) {
                        documents.add(r.path("Properties").path("PolicyDocument"));
                    }
                }
            }
        }
        for (JsonNode doc : documents) {
            JsonNode statement = doc.path("Statement");
            if (statement.isObject()) {
                ArrayNode wrapped = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode();
                wrapped.add(statement);
                ((ObjectNode) doc).set("Statement", wrapped);
                statement = wrapped;
            }
            for (Iterator<JsonNode> it = statement.iterator(); it.hasNext(); ) {
                JsonNode st = it.next();
                JsonNode actions = st.path("Action");
                if (actions.isTextual() && actions.asText().equalsIgnoreCase(action)) {
                    it.remove();
                } else if (actions.isArray()) {
                    for (Iterator<JsonNode> a = actions.iterator(); a.hasNext(); ) {
                        if (a.next().asText().equalsIgnoreCase(action)) {
                            a.remove();
                        }
                    }
                    if (actions.isEmpty()) {
                        it.remove();
                    }
                }
            }
        }
        return copy;
    }
}
