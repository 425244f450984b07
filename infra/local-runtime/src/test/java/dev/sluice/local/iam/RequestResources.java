package dev.sluice.local.iam;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactGetItem;
import software.amazon.awssdk.services.dynamodb.model.TransactGetItemsRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;
import software.amazon.awssdk.services.eventbridge.model.EventBridgeRequest;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequest;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.s3.model.CopyObjectRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectsRequest;
import software.amazon.awssdk.services.s3.model.S3Request;
import software.amazon.awssdk.services.s3.model.UploadPartCopyRequest;
import software.amazon.awssdk.services.sfn.model.SfnRequest;
import software.amazon.awssdk.services.sqs.model.SqsRequest;

/**
 * The resources a request acts on, each with the part of the request it is ({@code item}, or null), in the notation
 * of {@link AwsCall}. Pure: from the modelled request alone.
 */
public final class RequestResources {
    private RequestResources() {
    }

    /** One resource of a request and the part of the request it is. */
    public record Target(String item, String resource) {
    }

    static final String UNKNOWN = "?";

    public static List<Target> of(SdkRequest request) {
        if (request instanceof DynamoDbRequest r) {
            return dynamoDb(r);
        }
        if (request instanceof S3Request r) {
            return s3(r);
        }
        if (request instanceof SqsRequest r) {
            return r.getValueForField("QueueUrl", String.class).map(url -> List.of(new Target(null, queueName(url))))
                    .orElse(List.of(new Target(null, UNKNOWN)));
        }
        if (request instanceof EventBridgeRequest r) {
            return events(r);
        }
        if (request instanceof SfnRequest r) {
            return stepFunctions(r);
        }
        if (request instanceof software.amazon.awssdk.services.ec2.model.Ec2Request r) {
            return ec2(r);
        }
        if (request instanceof software.amazon.awssdk.services.secretsmanager.model.SecretsManagerRequest r) {
            // SecretId is the secret's ARN (arn:...:secret:<name>-<suffix>) on AWS, where Ref of a secret is its ARN; the
            // emulator's Ref is the secret's name. The resource is what follows the account, or secret:<name>.
            return r.getValueForField("SecretId", String.class)
                    .map(id -> List.of(new Target(null, id.contains(":secret:") ? id.substring(id.indexOf(":secret:") + 1) : "secret:" + id)))
                    .orElse(List.of(new Target(null, UNKNOWN)));
        }
        return List.of(new Target(null, UNKNOWN));
    }

    private static List<Target> dynamoDb(DynamoDbRequest request) {
        List<Target> targets = new ArrayList<>();
        if (request instanceof TransactWriteItemsRequest r) {
            for (TransactWriteItem i : r.transactItems()) {
                if (i.put() != null) {
                    targets.add(new Target("Put", "table/" + i.put().tableName()));
                }
                if (i.update() != null) {
                    targets.add(new Target("Update", "table/" + i.update().tableName()));
                }
                if (i.delete() != null) {
                    targets.add(new Target("Delete", "table/" + i.delete().tableName()));
                }
                if (i.conditionCheck() != null) {
                    targets.add(new Target("ConditionCheck", "table/" + i.conditionCheck().tableName()));
                }
            }
        } else if (request instanceof TransactGetItemsRequest r) {
            for (TransactGetItem i : r.transactItems()) {
                targets.add(new Target("Get", "table/" + i.get().tableName()));
            }
        } else if (request instanceof BatchGetItemRequest r) {
            r.requestItems().keySet().forEach(t -> targets.add(new Target(null, "table/" + t)));
        } else if (request instanceof BatchWriteItemRequest r) {
            r.requestItems().keySet().forEach(t -> targets.add(new Target(null, "table/" + t)));
        } else if (request instanceof QueryRequest r) {
            targets.add(new Target(null, "table/" + r.tableName() + (r.indexName() == null ? "" : "/index/" + r.indexName())));
        } else if (request instanceof ScanRequest r) {
            targets.add(new Target(null, "table/" + r.tableName() + (r.indexName() == null ? "" : "/index/" + r.indexName())));
        } else {
            targets.add(new Target(null, request.getValueForField("TableName", String.class).map(t -> "table/" + t).orElse(UNKNOWN)));
        }
        // A transaction names one table many times; once per part and table is enough.
        return List.copyOf(new LinkedHashSet<>(targets));
    }

    private static List<Target> s3(S3Request request) {
        if (request instanceof CopyObjectRequest r) {
            return List.of(new Target("source", copySource(r.sourceBucket(), r.sourceKey(), r.copySource())),
                    new Target("target", r.destinationBucket() + "/" + r.destinationKey()));
        }
        if (request instanceof UploadPartCopyRequest r) {
            return List.of(new Target("source", copySource(r.sourceBucket(), r.sourceKey(), r.copySource())),
                    new Target("target", r.destinationBucket() + "/" + r.destinationKey()));
        }
        if (request instanceof DeleteObjectsRequest r) {
            Set<Target> targets = new LinkedHashSet<>();
            r.delete().objects().forEach(o -> targets.add(new Target(null, r.bucket() + "/" + o.key())));
            return targets.isEmpty() ? List.of(new Target(null, r.bucket())) : List.copyOf(targets);
        }
        String bucket = request.getValueForField("Bucket", String.class).orElse(null);
        if (bucket == null) {
            return List.of(new Target(null, UNKNOWN));
        }
        return List.of(new Target(null, request.getValueForField("Key", String.class).map(k -> bucket + "/" + k).orElse(bucket)));
    }

    /**
     * The source of a copy: its bucket and key, or (as the S3 client has already folded them by the time interceptors
     * see the request) the URL-encoded {@code bucket/key[?versionId=...]} of {@code CopySource}.
     */
    @SuppressWarnings("deprecation")
    static String copySource(String bucket, String key, String copySource) {
        if (bucket != null && key != null) {
            return bucket + "/" + key;
        }
        if (copySource == null) {
            return UNKNOWN;
        }
        String s = copySource.startsWith("/") ? copySource.substring(1) : copySource;
        int query = s.indexOf('?');
        if (query >= 0) {
            s = s.substring(0, query);
        }
        return java.net.URLDecoder.decode(s.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static List<Target> events(EventBridgeRequest request) {
        if (request instanceof PutEventsRequest r) {
            Set<Target> buses = new LinkedHashSet<>();
            for (PutEventsRequestEntry e : r.entries()) {
                buses.add(new Target(null, "event-bus/" + busName(e.eventBusName())));
            }
            return List.copyOf(buses);
        }
        String bus = busName(request.getValueForField("EventBusName", String.class).orElse(null));
        // PutRule, DeleteRule and DescribeRule name the rule "Name"; PutTargets, RemoveTargets and the like "Rule".
        String rule = request.getValueForField("Rule", String.class)
                .or(() -> request.getValueForField("Name", String.class)).orElse(null);
        if (rule == null) {
            return List.of(new Target(null, UNKNOWN));
        }
        return List.of(new Target(null, bus.equals("default") ? "rule/" + rule : "rule/" + bus + "/" + rule));
    }

    private static String busName(String nameOrArn) {
        if (nameOrArn == null || nameOrArn.isEmpty()) {
            return "default";
        }
        int at = nameOrArn.indexOf(":event-bus/");
        return at < 0 ? nameOrArn : nameOrArn.substring(at + ":event-bus/".length());
    }

    private static List<Target> stepFunctions(SfnRequest request) {
        String arn = request.getValueForField("executionArn", String.class)
                .or(() -> request.getValueForField("stateMachineArn", String.class)).orElse(null);
        if (arn == null) {
            return List.of(new Target(null, UNKNOWN));
        }
        // arn:partition:states:region:account:stateMachine:NAME or ...:execution:MACHINE:NAME
        String[] parts = arn.split(":", 6);
        return List.of(new Target(null, parts.length == 6 ? parts[5] : UNKNOWN));
    }

    /**
     * EC2: the resources IAM authorizes a call on, each with the action it is authorized for as its item. An instant
     * CreateFleet is authorized as CreateFleet on the fleet and the launch template, and as the RunInstances it makes on
     * the launch template, the instance and the subnet of each override; the instance's tags as CreateTags.
     * DescribeInstances has no resource-level permissions ({@code *}); TerminateInstances acts on each instance.
     */
    private static List<Target> ec2(software.amazon.awssdk.services.ec2.model.Ec2Request request) {
        if (request instanceof software.amazon.awssdk.services.ec2.model.CreateFleetRequest r) {
            Set<Target> targets = new LinkedHashSet<>();
            targets.add(new Target("CreateFleet", "fleet/*"));
            for (var config : r.launchTemplateConfigs()) {
                String template = config.launchTemplateSpecification() == null ? null : config.launchTemplateSpecification().launchTemplateId();
                if (template != null) {
                    targets.add(new Target("CreateFleet", "launch-template/" + template));
                    targets.add(new Target("RunInstances", "launch-template/" + template));
                }
                targets.add(new Target("RunInstances", "instance/*"));
                for (var override : config.overrides()) {
                    if (override.subnetId() != null) {
                        targets.add(new Target("RunInstances", "subnet/" + override.subnetId()));
                    }
                }
            }
            if (r.tagSpecifications().stream().anyMatch(t -> t.resourceTypeAsString().equals("instance"))) {
                targets.add(new Target("CreateTags", "instance/*"));
            }
            return List.copyOf(targets);
        }
        if (request instanceof software.amazon.awssdk.services.ec2.model.TerminateInstancesRequest r) {
            return r.instanceIds().stream().map(id -> new Target("TerminateInstances", "instance/" + id)).toList();
        }
        if (request instanceof software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest) {
            return List.of(new Target("DescribeInstances", "*"));
        }
        return List.of(new Target(null, UNKNOWN));
    }

    static String queueName(String url) {
        String path = URI.create(url).getPath();
        return path.substring(path.lastIndexOf('/') + 1);
    }
}
