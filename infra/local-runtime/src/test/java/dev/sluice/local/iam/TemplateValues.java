package dev.sluice.local.iam;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The values of an expanded template's expressions in a deployed stack: {@code Ref}, {@code Fn::GetAtt},
 * {@code Fn::Sub}, {@code Fn::Join}, {@code Fn::Select}, {@code Fn::Split} and {@code Fn::If} (with the template's
 * conditions evaluated on the stack's parameters), pseudo parameters from where the stack runs. References it cannot
 * resolve are refused by name rather than guessed.
 */
public final class TemplateValues {
    /** Stands for {@code AWS::NoValue}: removed from the list or object that holds it. */
    static final Object NO_VALUE = new Object() {
        @Override
        public String toString() {
            return "AWS::NoValue";
        }
    };

    private final JsonNode template;
    private final StackFacts stack;

    public TemplateValues(JsonNode template, StackFacts stack) {
        this.template = template;
        this.stack = stack;
    }

    private static boolean isIntrinsic(JsonNode node) {
        if (node.size() != 1) {
            return false;
        }
        String key = node.fieldNames().next();
        return key.equals("Ref") || key.startsWith("Fn::");
    }

    /** A string, a list of values, a map of values (an object that is no function), or {@link #NO_VALUE}. */
    public Object resolve(JsonNode node) {
        if (node.isTextual()) {
            return node.asText();
        }
        if (node.isNumber() || node.isBoolean()) {
            return node.asText();
        }
        if (node.isArray()) {
            List<Object> out = new ArrayList<>();
            for (JsonNode n : node) {
                Object v = resolve(n);
                if (v != NO_VALUE) {
                    out.add(v);
                }
            }
            return out;
        }
        if (node.isObject() && !isIntrinsic(node)) {
            Map<String, Object> out = new java.util.LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                Object v = resolve(e.getValue());
                if (v != NO_VALUE) {
                    out.put(e.getKey(), v);
                }
            }
            return out;
        }
        if (node.isObject()) {
            String fn = node.fieldNames().next();
            JsonNode arg = node.get(fn);
            switch (fn) {
                case "Ref" -> { return ref(arg.asText()); }
                case "Fn::GetAtt" -> {
                    if (arg.isArray()) {
                        return getAtt(arg.get(0).asText(), text(resolve(arg.get(1))));
                    }
                    String s = arg.asText();
                    int dot = s.indexOf('.');
                    return getAtt(s.substring(0, dot), s.substring(dot + 1));
                }
                case "Fn::Sub" -> { return sub(arg); }
                case "Fn::Join" -> {
                    List<String> parts = new ArrayList<>();
                    for (Object o : list(resolve(arg.get(1)))) {
                        parts.add(text(o));
                    }
                    return String.join(arg.get(0).asText(), parts);
                }
                case "Fn::Select" -> { return list(resolve(arg.get(1))).get(Integer.parseInt(text(resolve(arg.get(0))))); }
                case "Fn::Split" -> {
                    return new ArrayList<Object>(List.of(text(resolve(arg.get(1))).split(Pattern.quote(arg.get(0).asText()), -1)));
                }
                case "Fn::If" -> { return condition(arg.get(0).asText()) ? resolve(arg.get(1)) : resolve(arg.get(2)); }
                default -> { }
            }
            if (fn.startsWith("Fn::")) {
                throw new IllegalArgumentException("cannot resolve " + fn + " (" + node + ")");
            }
        }
        throw new IllegalArgumentException("not a value this resolves: " + node);
    }

    /** Whether the template's condition {@code name} holds in the stack. */
    public boolean condition(String name) {
        JsonNode c = template.path("Conditions").get(name);
        if (c == null) {
            throw new IllegalArgumentException("no condition " + name + " in the template");
        }
        return truth(c);
    }

    /** Whether a resource of the template is in the stack (its condition, if it has one, holds). */
    public boolean deployed(String logicalId) {
        JsonNode r = template.path("Resources").get(logicalId);
        return r != null && (!r.has("Condition") || condition(r.get("Condition").asText()));
    }

    private boolean truth(JsonNode c) {
        String fn = c.fieldNames().next();
        JsonNode arg = c.get(fn);
        return switch (fn) {
            case "Fn::Equals" -> text(resolve(arg.get(0))).equals(text(resolve(arg.get(1))));
            case "Fn::Not" -> !truth(arg.get(0));
            case "Fn::And" -> {
                boolean all = true;
                for (JsonNode a : arg) {
                    all &= truth(a);
                }
                yield all;
            }
            case "Fn::Or" -> {
                boolean any = false;
                for (JsonNode a : arg) {
                    any |= truth(a);
                }
                yield any;
            }
            case "Condition" -> condition(arg.asText());
            default -> throw new IllegalArgumentException("cannot evaluate the condition " + c);
        };
    }

    private Object ref(String name) {
        switch (name) {
            case "AWS::Partition" -> { return stack.partition(); }
            case "AWS::Region" -> { return stack.region(); }
            case "AWS::AccountId" -> { return stack.account(); }
            case "AWS::StackName" -> { return stack.stackName(); }
            case "AWS::URLSuffix" -> { return "amazonaws.com"; }
            case "AWS::NoValue" -> { return NO_VALUE; }
            default -> { }
        }
        if (template.path("Parameters").has(name)) {
            String value = stack.parameters().get(name);
            if (value == null) {
                JsonNode d = template.path("Parameters").path(name).get("Default");
                if (d == null) {
                    throw new IllegalArgumentException("the stack has no value for the parameter " + name);
                }
                value = d.asText();
            }
            // A list parameter's value is its items joined by commas, as CloudFormation passes it ("" is one empty item).
            String type = template.path("Parameters").path(name).path("Type").asText();
            if (type.equals("CommaDelimitedList") || type.startsWith("List<")) {
                return new ArrayList<Object>(List.of(value.split(",", -1)));
            }
            return value;
        }
        StackFacts.Resource r = resource(name);
        // Ref of a secret is its ARN on AWS; the emulator answers its name, which a policy's Resource cannot be.
        if (r.type().equals("AWS::SecretsManager::Secret") && !r.physicalId().startsWith("arn:")) {
            return "arn:" + stack.partition() + ":secretsmanager:" + stack.region() + ":" + stack.account() + ":secret:" + r.physicalId();
        }
        return r.physicalId();
    }

    private StackFacts.Resource resource(String logicalId) {
        StackFacts.Resource r = stack.resources().get(logicalId);
        if (r == null) {
            throw new IllegalArgumentException("the deployed stack has no resource " + logicalId);
        }
        return r;
    }

    private String getAtt(String logicalId, String attribute) {
        StackFacts.Resource r = resource(logicalId);
        String p = stack.partition();
        String regional = stack.region() + ":" + stack.account();
        String id = r.physicalId();
        String key = r.type() + "." + attribute;
        return switch (key) {
            case "AWS::DynamoDB::Table.Arn" -> "arn:" + p + ":dynamodb:" + regional + ":table/" + id;
            case "AWS::S3::Bucket.Arn" -> "arn:" + p + ":s3:::" + id;
            case "AWS::SQS::Queue.Arn" -> "arn:" + p + ":sqs:" + regional + ":" + queueName(id);
            case "AWS::SQS::Queue.QueueName" -> queueName(id);
            case "AWS::SQS::Queue.QueueUrl" -> id;
            case "AWS::Events::EventBus.Arn" -> id.startsWith("arn:") ? id : "arn:" + p + ":events:" + regional + ":event-bus/" + id;
            case "AWS::Events::EventBus.Name" -> id.startsWith("arn:") ? id.substring(id.indexOf(":event-bus/") + 11) : id;
            case "AWS::StepFunctions::StateMachine.Arn" -> id.startsWith("arn:") ? id : "arn:" + p + ":states:" + regional + ":stateMachine:" + id;
            case "AWS::StepFunctions::StateMachine.Name" -> id.startsWith("arn:") ? id.substring(id.lastIndexOf(':') + 1) : id;
            case "AWS::Lambda::Function.Arn" -> "arn:" + p + ":lambda:" + regional + ":function:" + id;
            case "AWS::IAM::Role.Arn" -> "arn:" + p + ":iam::" + stack.account() + ":role/" + id;
            case "AWS::Cognito::UserPool.Arn" -> "arn:" + p + ":cognito-idp:" + regional + ":userpool/" + id;
            default -> throw new IllegalArgumentException("cannot resolve Fn::GetAtt " + logicalId + "." + attribute + " (" + r.type() + ")");
        };
    }

    private static String queueName(String urlOrName) {
        return urlOrName.contains("/") ? RequestResources.queueName(urlOrName) : urlOrName;
    }

    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([^}]*)}");

    private String sub(JsonNode arg) {
        String text;
        Map<String, Object> vars = new java.util.HashMap<>();
        if (arg.isArray()) {
            text = arg.get(0).asText();
            for (Iterator<Map.Entry<String, JsonNode>> it = arg.get(1).fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                vars.put(e.getKey(), resolve(e.getValue()));
            }
        } else {
            text = arg.asText();
        }
        Matcher m = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1);
            String value;
            if (name.startsWith("!")) {
                value = "${" + name.substring(1) + "}";
            } else if (vars.containsKey(name)) {
                value = text(vars.get(name));
            } else if (name.contains(".")) {
                int dot = name.indexOf('.');
                value = getAtt(name.substring(0, dot), name.substring(dot + 1));
            } else {
                value = text(ref(name));
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    static String text(Object value) {
        if (value instanceof String s) {
            return s;
        }
        throw new IllegalArgumentException("expected a string, got " + value);
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object value) {
        if (value instanceof List<?> l) {
            return (List<Object>) l;
        }
        throw new IllegalArgumentException("expected a list, got " + value);
    }
}
