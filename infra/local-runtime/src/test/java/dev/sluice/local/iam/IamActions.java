package dev.sluice.local.iam;

import java.util.List;

/**
 * The IAM actions an AWS call needs, each on the ARN of the resource it needs it on. Calls of an operation this does
 * not know are not guessed at: {@link #needs} refuses them, so that a new kind of call fails the contract until its
 * mapping is written down here.
 */
public final class IamActions {
    private IamActions() {
    }

    /** One action the call needs, on one resource. */
    public record Need(String action, String resource) {
        @Override
        public String toString() {
            return action + " on " + resource;
        }
    }

    /** A call whose IAM actions are not known here. */
    public static final class Unknown extends RuntimeException {
        Unknown(String message) {
            super(message);
        }
    }

    public static List<Need> needs(AwsCall call, StackFacts where) {
        if (call.resource() == null || call.resource().equals(RequestResources.UNKNOWN)) {
            throw new Unknown("the resource of " + call.service() + ":" + call.operation() + " is not known to the recorder");
        }
        String action = action(call);
        String arn = arn(call.service(), call.resource(), where);
        return List.of(new Need(action, arn));
    }

    static String action(AwsCall c) {
        String op = c.operation();
        String item = c.item() == null ? "" : c.item();
        switch (c.service()) {
            case "dynamodb" -> {
                switch (op) {
                    case "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem",
                            "DescribeTable", "ConditionCheckItem" -> {
                        return "dynamodb:" + op;
                    }
                    case "TransactWriteItems" -> {
                        switch (item) {
                            case "Put" -> { return "dynamodb:PutItem"; }
                            case "Update" -> { return "dynamodb:UpdateItem"; }
                            case "Delete" -> { return "dynamodb:DeleteItem"; }
                            case "ConditionCheck" -> { return "dynamodb:ConditionCheckItem"; }
                            default -> { }
                        }
                    }
                    case "TransactGetItems" -> {
                        if (item.equals("Get")) {
                            return "dynamodb:GetItem";
                        }
                    }
                    default -> { }
                }
            }
            case "s3" -> {
                switch (op) {
                    case "GetObject", "HeadObject" -> { return "s3:GetObject"; }
                    case "PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload" -> { return "s3:PutObject"; }
                    case "CopyObject", "UploadPartCopy" -> {
                        switch (item) {
                            case "source" -> { return "s3:GetObject"; }
                            case "target" -> { return "s3:PutObject"; }
                            default -> { }
                        }
                    }
                    case "AbortMultipartUpload" -> { return "s3:AbortMultipartUpload"; }
                    case "ListObjectsV2", "ListObjects", "HeadBucket" -> { return "s3:ListBucket"; }
                    case "ListMultipartUploads" -> { return "s3:ListBucketMultipartUploads"; }
                    case "ListParts" -> { return "s3:ListMultipartUploadParts"; }
                    case "DeleteObject", "DeleteObjects" -> { return "s3:DeleteObject"; }
                    default -> { }
                }
            }
            case "events" -> {
                switch (op) {
                    case "PutEvents", "PutRule", "PutTargets", "RemoveTargets", "DeleteRule", "DescribeRule", "EnableRule",
                            "DisableRule", "ListTargetsByRule" -> {
                        return "events:" + op;
                    }
                    default -> { }
                }
            }
            case "sqs" -> {
                switch (op) {
                    case "SendMessage", "SendMessageBatch" -> { return "sqs:SendMessage"; }
                    case "DeleteMessage", "DeleteMessageBatch" -> { return "sqs:DeleteMessage"; }
                    case "ChangeMessageVisibility", "ChangeMessageVisibilityBatch" -> { return "sqs:ChangeMessageVisibility"; }
                    case "ReceiveMessage", "GetQueueAttributes", "GetQueueUrl" -> { return "sqs:" + op; }
                    default -> { }
                }
            }
            case "ec2" -> {
                // The item is the action IAM authorizes that part of the call as (RequestResources.ec2).
                switch (item) {
                    case "CreateFleet", "RunInstances", "CreateTags", "TerminateInstances", "DescribeInstances" -> {
                        return "ec2:" + item;
                    }
                    default -> { }
                }
            }
            case "secretsmanager" -> {
                if (op.equals("GetSecretValue")) {
                    return "secretsmanager:GetSecretValue";
                }
            }
            case "states" -> {
                switch (op) {
                    case "StartExecution", "DescribeExecution", "StopExecution", "ListExecutions", "GetExecutionHistory",
                            "DescribeStateMachine" -> {
                        return "states:" + op;
                    }
                    default -> { }
                }
            }
            default -> { }
        }
        throw new Unknown("no IAM mapping for " + c.service() + ":" + op + (c.item() == null ? "" : " (" + c.item() + ")")
                + "; write down the actions it needs in " + IamActions.class.getSimpleName());
    }

    /** The ARN of a recorded resource ({@link AwsCall}'s notation) in the stack's partition, region and account. */
    static String arn(String service, String resource, StackFacts where) {
        return switch (service) {
            case "s3" -> "arn:" + where.partition() + ":s3:::" + resource;
            case "ec2" -> resource.equals("*") ? "*" : "arn:" + where.partition() + ":ec2:" + where.region() + ":" + where.account() + ":" + resource;
            default -> "arn:" + where.partition() + ":" + service + ":" + where.region() + ":" + where.account() + ":" + resource;
        };
    }
}
