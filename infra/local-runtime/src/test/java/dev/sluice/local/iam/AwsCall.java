package dev.sluice.local.iam;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One AWS call a function made, as far as IAM cares: the function (its physical name), the service's IAM prefix, the
 * operation, the resource it acted on in the service's own notation (no partition, region or account: see
 * {@link IamActions#arn}), and for calls that act on several resources the part this one is ({@code item}: the kind
 * of a transaction item, the source or target of a copy). A presigned URL is recorded as the call its holder makes
 * with it, since it acts with the signing function's role.
 *
 * <p>Resources: DynamoDB {@code table/T} or {@code table/T/index/I}; S3 {@code bucket} or {@code bucket/key}; SQS the
 * queue's name; EventBridge {@code event-bus/B}, {@code rule/B/R} (or {@code rule/R} on the default bus); Step
 * Functions {@code stateMachine:M} or {@code execution:M:E}; EC2 {@code instance/ID}, {@code fleet/*}, {@code subnet/ID},
 * {@code launch-template/ID} (or {@code *} for a call without resource-level permissions). {@code ?} when the request named none this knows.
 */
public record AwsCall(String function, String service, String operation, String item, String resource, boolean presigned) {

    private static final java.util.regex.Pattern UUID =
            java.util.regex.Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    /**
     * What makes two calls the same for the contract: all but the object key, of which only the first segment counts
     * (S3 grants name buckets and prefixes, not objects), the execution's name, and the UUIDs in names (one webhook's
     * rule stands for all). The first call of each kind is recorded as it was, so its resource is a real one.
     */
    public String sameAs() {
        String r = UUID.matcher(resource).replaceAll("<uuid>");
        if (service.equals("s3")) {
            int slash = r.indexOf('/');
            if (slash >= 0) {
                int next = r.indexOf('/', slash + 1);
                r = next < 0 ? r.substring(0, slash) + "/<key>" : r.substring(0, next) + "/<key>";
            }
        } else if (service.equals("ec2")) {
            r = r.replaceAll("^instance/i-[0-9a-f]+$", "instance/<id>");
        } else if (service.equals("states") && r.startsWith("execution:")) {
            r = r.substring(0, r.lastIndexOf(':')) + ":<name>";
        }
        return function + " " + service + ":" + operation + " " + (item == null ? "" : item) + " " + r + (presigned ? " presigned" : "");
    }

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("function", function);
        m.put("service", service);
        m.put("operation", operation);
        if (item != null) {
            m.put("item", item);
        }
        m.put("resource", resource);
        if (presigned) {
            m.put("presigned", true);
        }
        return m;
    }

    public static AwsCall fromJson(Map<String, Object> m) {
        return new AwsCall((String) m.get("function"), (String) m.get("service"), (String) m.get("operation"),
                (String) m.get("item"), (String) m.get("resource"), Boolean.TRUE.equals(m.get("presigned")));
    }

    @Override
    public String toString() {
        return service + ":" + operation + (item == null ? "" : " (" + item + ")") + " on " + resource + (presigned ? " (presigned URL)" : "");
    }
}
