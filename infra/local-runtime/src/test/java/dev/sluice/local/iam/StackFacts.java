package dev.sluice.local.iam;

import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;
import software.amazon.awssdk.services.cloudformation.model.Stack;
import software.amazon.awssdk.services.cloudformation.model.StackResource;

/**
 * What the deployed stack is made of, as CloudFormation reports it: where it runs (partition, region, account, from
 * its stack id), its parameter values, and each resource's type and physical id by logical id. The IAM contract
 * resolves the expanded template's references with these.
 */
public record StackFacts(String stackName, String partition, String region, String account, Map<String, String> parameters,
                         Map<String, Resource> resources) {

    public record Resource(String type, String physicalId) {
    }

    public static StackFacts describe(CloudFormationClient cloudFormation, String stackName) {
        Stack stack = cloudFormation.describeStacks(b -> b.stackName(stackName)).stacks().get(0);
        // arn:aws:cloudformation:us-east-1:000000000000:stack/NAME/ID
        String[] arn = stack.stackId().split(":");
        if (arn.length < 6 || !arn[0].equals("arn")) {
            throw new IllegalStateException("the stack id " + stack.stackId() + " is not an ARN");
        }
        Map<String, String> parameters = new LinkedHashMap<>();
        stack.parameters().forEach(p -> parameters.put(p.parameterKey(), p.parameterValue()));
        Map<String, Resource> resources = new LinkedHashMap<>();
        for (StackResource r : cloudFormation.describeStackResources(b -> b.stackName(stackName)).stackResources()) {
            resources.put(r.logicalResourceId(), new Resource(r.resourceType(), r.physicalResourceId()));
        }
        return new StackFacts(stack.stackName(), arn[1], arn[3], arn[4], parameters, resources);
    }

    /** The logical id of the function with this physical name (its name), if the stack has it. */
    public java.util.Optional<String> functionLogicalId(String functionName) {
        return resources.entrySet().stream()
                .filter(e -> e.getValue().type().equals("AWS::Lambda::Function") && e.getValue().physicalId().equals(functionName))
                .map(Map.Entry::getKey).findFirst();
    }

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("stackName", stackName);
        m.put("partition", partition);
        m.put("region", region);
        m.put("account", account);
        m.put("parameters", parameters);
        Map<String, Object> rs = new LinkedHashMap<>();
        resources.forEach((k, v) -> rs.put(k, Map.of("type", v.type(), "physicalId", v.physicalId())));
        m.put("resources", rs);
        return m;
    }

    @SuppressWarnings("unchecked")
    public static StackFacts fromJson(Map<String, Object> m) {
        Map<String, Resource> resources = new LinkedHashMap<>();
        ((Map<String, Map<String, String>>) m.get("resources")).forEach((k, v) -> resources.put(k, new Resource(v.get("type"), v.get("physicalId"))));
        return new StackFacts((String) m.get("stackName"), (String) m.get("partition"), (String) m.get("region"), (String) m.get("account"),
                (Map<String, String>) m.get("parameters"), resources);
    }
}
