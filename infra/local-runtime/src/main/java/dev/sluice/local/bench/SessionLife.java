package dev.sluice.local.bench;

import dev.sluice.core.request.RequestFields;

import dev.sluice.adapters.ControlPlane;
import dev.sluice.core.agent.AgentStatus;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionStatus;
import dev.sluice.local.LocalDeployer;
import dev.sluice.local.LocalRuntime;
import dev.sluice.local.LocalUsers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Whole session lives through the real path, counted: a batch session created through the API Gateway, placed by
 * the scheduler nudge, run by the real agent process (its status reports and its
 * log upload through the agent API), and the nudge after its end. Every Lambda invocation, API request, AWS request,
 * DynamoDB capacity unit, PutEvents entry and SQS message made while a life runs is counted, and the heartbeats and
 * the periodic functions, which cost per agent or per stack rather than per session, are counted apart.
 */
final class SessionLife {
    static final int LIVES = 3;
    /** The function memory of the template (Globals), for the GB-seconds. */
    static final double MEMORY_GB = 1.0;
    /** Functions run by a schedule, not by a session. */
    private static final List<String> PERIODIC = List.of("SchedulerTick", "AgentMonitor", "CloneSweepTick", "FolderDeletionWorker");

    // On-demand list prices, us-east-1, USD (the AWS pricing pages; see docs/benchmarks.md for the date).
    static final double DDB_WRITE_UNIT = 0.625e-6;
    static final double DDB_READ_UNIT = 0.125e-6;
    static final double LAMBDA_REQUEST = 0.20e-6;
    static final double LAMBDA_GB_SECOND = 0.0000166667;
    static final double REST_API_REQUEST = 3.50e-6;
    static final double EVENT = 1.00e-6;
    static final double SQS_REQUEST = 0.40e-6;
    /** S3 Standard: PUT, COPY, POST, LIST requests $0.005 per 1,000; GET, SELECT and the others $0.0004 per 1,000; DELETE free. */
    static final double S3_WRITE_REQUEST = 5.0e-6;
    static final double S3_READ_REQUEST = 0.4e-6;
    private static final List<String> S3_WRITES = List.of("PutObject", "CopyObject", "PostObject", "ListObjects", "ListObjectsV2",
            "CreateMultipartUpload", "UploadPart", "UploadPartCopy", "CompleteMultipartUpload", "ListMultipartUploads", "ListParts");
    /** Services this estimate prices; a request to any other is named in the table as unpriced. */
    private static final List<String> PRICED = List.of("DynamoDb", "EventBridge", "S3", "Sqs");

    private SessionLife() {
    }

    /** What one life, or the per-agent side during it, cost. */
    record Counts(Map<String, Integer> invocations, double lambdaGbSeconds, int apiRequests, Map<String, Long> awsRequests,
                  double writeUnits, double readUnits, long events, long sqsMessages, Map<String, Where> byInvocation) {
        int lambdaInvocations() {
            return invocations.values().stream().mapToInt(Integer::intValue).sum();
        }

        long requests(String service) {
            return awsRequests.entrySet().stream().filter(e -> e.getKey().startsWith(service + " ")).mapToLong(Map.Entry::getValue).sum();
        }

        long s3Writes() {
            return awsRequests.entrySet().stream().filter(e -> e.getKey().startsWith("S3 ") && S3_WRITES.contains(e.getKey().substring(3)))
                    .mapToLong(Map.Entry::getValue).sum();
        }

        /** Every S3 request but the writes, and DELETE (free). */
        long s3Reads() {
            return awsRequests.entrySet().stream().filter(e -> e.getKey().startsWith("S3 ") && !S3_WRITES.contains(e.getKey().substring(3))
                    && !e.getKey().startsWith("S3 Delete")).mapToLong(Map.Entry::getValue).sum();
        }

        double s3Dollars() {
            return s3Writes() * S3_WRITE_REQUEST + s3Reads() * S3_READ_REQUEST;
        }

        double dollars() {
            return writeUnits * DDB_WRITE_UNIT + readUnits * DDB_READ_UNIT + lambdaInvocations() * LAMBDA_REQUEST
                    + lambdaGbSeconds * LAMBDA_GB_SECOND + apiRequests * REST_API_REQUEST + events * EVENT
                    + sqsMessages * 3 * SQS_REQUEST + s3Dollars();
        }
    }

    /** What one invocation label made: billed milliseconds, DynamoDB requests and units, events, other AWS requests. */
    static final class Where {
        long billedMs;
        long ddbRequests;
        double writeUnits;
        double readUnits;
        long events;
        long otherRequests;
    }

    /** Each life's counts, the per-agent side of the same windows, and the session item at the end of the first life. */
    record Result(List<Counts> lives, List<Counts> perAgent, List<Double> seconds, Map<String, AttributeValue> endItem) {
    }

    /** Listens to the function host: invocations, handler time and SQS records by label. */
    private static final class Invocations {
        final Map<String, LongAdder> count = new ConcurrentHashMap<>();
        final Map<String, LongAdder> billedMs = new ConcurrentHashMap<>();
        final Map<String, LongAdder> sqsRecords = new ConcurrentHashMap<>();
        final Map<String, LongAdder> apiRequests = new ConcurrentHashMap<>();
        volatile boolean on;

        void invoked(String function, String label, Object event, long nanos) {
            if (!on) {
                return;
            }
            count.computeIfAbsent(label, k -> new LongAdder()).increment();
            // Lambda bills duration rounded up to the millisecond.
            billedMs.computeIfAbsent(label, k -> new LongAdder()).add((nanos + 999_999) / 1_000_000);
            if (event instanceof com.amazonaws.services.lambda.runtime.events.SQSEvent sqs) {
                sqsRecords.computeIfAbsent(label, k -> new LongAdder()).add(sqs.getRecords() == null ? 0 : sqs.getRecords().size());
            }
            if (event instanceof com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent) {
                apiRequests.computeIfAbsent(label, k -> new LongAdder()).increment();
            }
        }

        void reset() {
            count.clear();
            billedMs.clear();
            sqsRecords.clear();
            apiRequests.clear();
        }
    }

    static Result run(Path root, LocalRuntime runtime, LocalDeployer.DeployedStack stack, ControlPlane plane, String group) throws Exception {
        plane.groupStore().put(ResourceGroup.fromDefinition(group, RequestFields.of(Map.of()), Instant.now(), Instant.now()));
        String agentId = "i-" + group;
        String api = LocalRuntime.apiUrl(stack);
        String token = LocalUsers.of(stack).token("bench-life", List.of("users"));
        HttpClient http = HttpClient.newHttpClient();
        Invocations invocations = new Invocations();
        runtime.host().listenToInvocationsWith((function, label, event, nanos, ok) -> invocations.invoked(function, label, event, nanos));
        Process agent = AgentBenchmark.startAgent(root, stack, group, agentId);
        List<Counts> lives = new ArrayList<>();
        List<Counts> perAgent = new ArrayList<>();
        List<Double> seconds = new ArrayList<>();
        Map<String, AttributeValue> endItem = null;
        try {
            Instant deadline = Instant.now().plusSeconds(60);
            while (plane.agentStore().find(agentId).filter(a -> a.status() == AgentStatus.ALIVE).isEmpty()) {
                if (Instant.now().isAfter(deadline) || !agent.isAlive()) {
                    throw new IllegalStateException("the benchmark agent did not register");
                }
                Thread.sleep(200);
            }
            for (int life = 0; life < LIVES; life++) {
                invocations.reset();
                invocations.on = true;
                AwsTally.start();
                long t = System.nanoTime();
                HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(api + "/sessions"))
                        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"batch\",\"image\":\"python:3.12\",\"startup_command\":\"echo life "
                                + life + "\",\"resource_group\":\"" + group + "\",\"resource_slots\":{\"cpu\":1,\"mem\":\"1g\",\"cuda.device\":1}}"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                if (created.statusCode() != 201 && created.statusCode() != 200) {
                    throw new IllegalStateException("creating the benchmark session answered " + created.statusCode() + ": " + created.body());
                }
                String id = created.body().replaceAll("(?s).*?\"id\":\"([^\"]+)\".*", "$1");
                Session s = plane.sessionStore().find(id).orElseThrow();
                deadline = Instant.now().plusSeconds(90);
                while (!s.status().isFinal() && s.status() != SessionStatus.ERROR) {
                    if (Instant.now().isAfter(deadline)) {
                        throw new IllegalStateException("the benchmark session did not end: " + s.status());
                    }
                    Thread.sleep(100);
                    s = plane.sessionStore().find(id).orElseThrow();
                }
                if (s.status() != SessionStatus.TERMINATED) {
                    throw new IllegalStateException("the benchmark session ended " + s.status() + " (" + s.statusInfo() + ")");
                }
                // What follows the end: the agent's log upload, the nudge the end event triggers.
                Thread.sleep(4_000);
                seconds.add((System.nanoTime() - t) / 1e9);
                invocations.on = false;
                Map<AwsTally.Key, AwsTally.Counts> aws = AwsTally.stop();
                lives.add(counts(invocations, aws, label -> !perAgent(label)));
                perAgent.add(counts(invocations, aws, SessionLife::perAgent));
                if (endItem == null) {
                    String table = runtime.host().bindings().values().iterator().next().environment().get("SESSIONS_TABLE");
                    endItem = dev.sluice.adapters.aws.AwsClients.shared().dynamoDb()
                            .getItem(b -> b.tableName(table).key(Map.of("id", AttributeValue.fromS(id))).consistentRead(true)).item();
                }
            }
        } finally {
            invocations.on = false;
            AwsTally.stop();
            runtime.host().listenToInvocationsWith((function, label, event, nanos, ok) -> { });
            AgentBenchmark.stop(agent);
        }
        return new Result(lives, perAgent, seconds, endItem);
    }

    /** The per-life table and its notes, in Markdown. */
    static String markdown(Result r) {
        List<Counts> sorted = r.lives().stream().sorted(java.util.Comparator.comparingDouble(Counts::dollars)).toList();
        Counts c = sorted.get(sorted.size() / 2);
        Counts agent = r.perAgent().get(r.lives().indexOf(c));
        double ddb = c.writeUnits() * DDB_WRITE_UNIT + c.readUnits() * DDB_READ_UNIT;
        double lambda = c.lambdaInvocations() * LAMBDA_REQUEST + c.lambdaGbSeconds() * LAMBDA_GB_SECOND;
        double apigw = c.apiRequests() * REST_API_REQUEST;
        double events = c.events() * EVENT;
        double sqs = c.sqsMessages() * 3 * SQS_REQUEST;
        double s3 = c.s3Dollars();
        double total = c.dollars();
        long itemBytes = itemBytes(r.endItem());
        String invocations = c.invocations().entrySet().stream().map(e -> e.getValue() + " " + e.getKey().replaceAll("^sluice-", ""))
                .collect(java.util.stream.Collectors.joining(", "));
        String ddbRequests = c.awsRequests().entrySet().stream().filter(e -> e.getKey().startsWith("DynamoDb "))
                .map(e -> e.getValue() + " " + e.getKey().substring(9)).collect(java.util.stream.Collectors.joining(", "));
        String s3Requests = c.awsRequests().entrySet().stream().filter(e -> e.getKey().startsWith("S3 "))
                .map(e -> e.getValue() + " " + e.getKey().substring(3)).collect(java.util.stream.Collectors.joining(", "));
        String unpriced = c.awsRequests().entrySet().stream().filter(e -> PRICED.stream().noneMatch(p -> e.getKey().startsWith(p + " ")))
                .map(e -> e.getValue() + " " + e.getKey()).collect(java.util.stream.Collectors.joining(", "));
        String reportHeartbeats = c.invocations().entrySet().stream().filter(e -> e.getKey().contains(dev.sluice.local.FunctionHost.WITH_REPORTS))
                .map(e -> String.valueOf(e.getValue())).findFirst().orElse("0");
        return String.join("\n",
                String.format("| one whole session life, counted (the median of %d lives by cost; each life: %s) | count | $ per million lives |",
                        r.lives().size(), r.lives().stream().map(l -> String.format("$%.2f", l.dollars() * 1e6))
                                .collect(java.util.stream.Collectors.joining(", "))),
                "|---|---|---|",
                String.format("| API Gateway (REST) requests: the create, the agent's heartbeats that carried the session's reports (%s; "
                        + "brought forward for them, so counted here whole) and any output upload | %d | %.2f |", reportHeartbeats, c.apiRequests(), apigw * 1e6),
                String.format("| Lambda invocations (%s) and their billed duration at %.0f MB | %d, %.3f GB-s | %.2f |", invocations, MEMORY_GB * 1024,
                        c.lambdaInvocations(), c.lambdaGbSeconds(), lambda * 1e6),
                String.format("| DynamoDB requests (%s) and the capacity they consumed, as the emulator reports it | %d requests, %.1f write + %.1f read units | %.2f |",
                        ddbRequests, c.requests("DynamoDb"), c.writeUnits(), c.readUnits(), ddb * 1e6),
                String.format("| EventBridge events published (PutEvents entries) | %d | %.2f |", c.events(), events * 1e6),
                String.format("| SQS messages (sent by a function or delivered to one; priced as 3 requests each: send, receive, delete) | %d | %.2f |",
                        c.sqsMessages(), sqs * 1e6),
                String.format("| S3 requests (%s; PUT/COPY/POST/LIST at $5 and GET at $0.40 per million) | %d | %.2f |",
                        s3Requests.isEmpty() ? "none" : s3Requests, c.requests("S3"), s3 * 1e6),
                String.format("| AWS requests to services not priced here | %s | |", unpriced.isEmpty() ? "none" : unpriced),
                String.format("| **total, every AWS service counted** — goal at most $15 per million lives | | **%.2f** |", total * 1e6),
                "",
                "| where the median life's costs arise, by invocation | invocations | billed ms | DynamoDB requests | write units | read units | events | other AWS requests |",
                "|---|---|---|---|---|---|---|---|",
                c.byInvocation().entrySet().stream().map(e -> String.format("| %s | %d | %d | %d | %.1f | %.1f | %d | %d |",
                        e.getKey().replaceAll("^sluice-", ""), c.invocations().getOrDefault(e.getKey(), 0), e.getValue().billedMs,
                        e.getValue().ddbRequests, e.getValue().writeUnits, e.getValue().readUnits, e.getValue().events,
                        e.getValue().otherRequests)).collect(java.util.stream.Collectors.joining("\n")),
                "",
                biggest(c, apigw, lambda, ddb, events, sqs, s3, total),
                "",
                String.format("The life: a batch session (`echo`) created through the API Gateway, placed by the nudge the PENDING event triggers, "
                                + "run by the real agent process (process runtime) which carries its steps, and with the end its output, in "
                                + "its heartbeat (brought forward to 1 s after the first step queued, `report.coalesce`), and whatever its end "
                                + "triggers; %.1f s each (%s), 4 s of it waiting after the end for what follows it. Counted per Lambda invocation "
                                + "by the local runtime and per AWS request by an SDK interceptor on every client in the JVM, attributed to the "
                                + "invocation that made it. A heartbeat that carries the session's reports is counted for the life whole (its "
                                + "request, invocation, duration and every AWS request it made), although the agent would have sent a heartbeat "
                                + "anyway: the reports bring it forward and the regular schedule restarts from it. Not per session, so counted "
                                + "apart in the same windows: %d heartbeats without reports and periodic functions (%s), %d DynamoDB requests "
                                + "(the agent section prices an agent's heartbeats per month). Lambda durations are this machine's warm "
                                + "handler times; requests to the emulator's Cognito keys are not made per life (the keys are cached).",
                        median(r.seconds()), r.seconds().stream().map(x -> String.format("%.1f", x)).collect(java.util.stream.Collectors.joining(", ")),
                        agent.lambdaInvocations(), agent.invocations().entrySet().stream().map(e -> e.getValue() + " " + e.getKey().replaceAll("^sluice-", ""))
                                .collect(java.util.stream.Collectors.joining(", ")), agent.requests("DynamoDb")),
                "",
                String.format("The session's item at the end of its life is %d bytes as DynamoDB counts them (UTF-8 attribute names plus values; "
                                + "numbers 1 byte per two significant digits plus 1; maps and lists 3 bytes plus 1 an element): %d write "
                                + "unit(s) for each plain write of it, twice that inside a transaction, plus the writes of the indexes it is in.",
                        itemBytes, (itemBytes + 1023) / 1024),
                "",
                "Prices: on-demand list prices for us-east-1 from the AWS pricing pages (aws.amazon.com/dynamodb/pricing/on-demand, "
                        + "/lambda/pricing, /api-gateway/pricing, /eventbridge/pricing, /sqs/pricing, /s3/pricing), as of 2026-12-03 (not "
                        + "fetched by the benchmark): DynamoDB $0.625 per million write and $0.125 per million read request units; Lambda "
                        + "$0.20 per million requests and $0.0000166667 per GB-second (x86); API Gateway REST $3.50 per million requests "
                        + "(first 333 million a month); EventBridge $1.00 per million custom events; SQS $0.40 per million requests; S3 "
                        + "Standard $0.005 per 1,000 PUT, COPY, POST and LIST requests and $0.0004 per 1,000 GET requests. Free tiers are "
                        + "left out. Not counted: CloudWatch Logs ingestion of the functions' log lines ($0.50 per GB), and S3 storage "
                        + "of the output ($0.023 per GB-month: a 64 KiB tail kept a month is $1.40 per million lives).");
    }

    /** Which service costs most, what remains to the goal, and what would close it (computed from the counts). */
    private static String biggest(Counts c, double apigw, double lambda, double ddb, double events, double sqs, double s3, double total) {
        Map<String, Double> parts = new LinkedHashMap<>();
        parts.put("API Gateway", apigw);
        parts.put("Lambda", lambda);
        parts.put("DynamoDB", ddb);
        parts.put("EventBridge", events);
        parts.put("SQS", sqs);
        parts.put("S3", s3);
        String shares = parts.entrySet().stream().filter(e -> e.getValue() > 0)
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .map(e -> String.format("%s $%.2f (%.0f%%)", e.getKey(), e.getValue() * 1e6, 100 * e.getValue() / total))
                .collect(java.util.stream.Collectors.joining(", "));
        if (total * 1e6 <= 15) {
            return String.format("The goal is met: $%.2f. By service: %s.", total * 1e6, shares);
        }
        // An HTTP API costs $1.00 per million requests (us-east-1) against the REST API's $3.50.
        double httpApiSaving = c.apiRequests() * (REST_API_REQUEST - 1.00e-6);
        return String.format("The goal is missed by $%.2f (%.0f%% over). By service: %s. What would close it, each computed from "
                        + "these counts: the same %d requests on an HTTP API ($1.00 per million) save $%.2f; every DynamoDB write unit "
                        + "saved is $0.625, every Lambda GB-second $16.67, every event $1.00.",
                total * 1e6 - 15, 100 * (total * 1e6 - 15) / 15, shares, c.apiRequests(), httpApiSaving * 1e6);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** Heartbeats (every agent, whatever it runs) and scheduled functions: not a session's. */
    private static boolean perAgent(String label) {
        return label.endsWith("POST /agent/heartbeat") || PERIODIC.stream().anyMatch(label::contains);
    }

    private static Counts counts(Invocations inv, Map<AwsTally.Key, AwsTally.Counts> aws, java.util.function.Predicate<String> mine) {
        Map<String, Where> where = new java.util.TreeMap<>();
        Map<String, Integer> invocations = new LinkedHashMap<>();
        long ms = 0;
        long sqs = 0;
        int apiRequests = 0;
        for (Map.Entry<String, LongAdder> e : inv.count.entrySet()) {
            if (mine.test(e.getKey())) {
                invocations.merge(e.getKey(), e.getValue().intValue(), Integer::sum);
                ms += inv.billedMs.getOrDefault(e.getKey(), new LongAdder()).sum();
                where.computeIfAbsent(e.getKey(), k -> new Where()).billedMs += inv.billedMs.getOrDefault(e.getKey(), new LongAdder()).sum();
                sqs += inv.sqsRecords.getOrDefault(e.getKey(), new LongAdder()).sum();
                apiRequests += inv.apiRequests.getOrDefault(e.getKey(), new LongAdder()).intValue();
            }
        }
        Map<String, Long> requests = new java.util.TreeMap<>();
        double write = 0;
        double read = 0;
        long events = 0;
        for (Map.Entry<AwsTally.Key, AwsTally.Counts> e : aws.entrySet()) {
            AwsTally.Key k = e.getKey();
            if (k.invocation().startsWith("(outside") || !mine.test(k.invocation())) {
                continue;
            }
            requests.merge(k.service() + " " + k.operation(), e.getValue().requests(), Long::sum);
            write += e.getValue().writeUnits();
            read += e.getValue().readUnits();
            Where w = where.computeIfAbsent(k.invocation(), x -> new Where());
            if (k.service().equals("DynamoDb")) {
                w.ddbRequests += e.getValue().requests();
                w.writeUnits += e.getValue().writeUnits();
                w.readUnits += e.getValue().readUnits();
            } else if (k.operation().equals("PutEvents")) {
                w.events += e.getValue().entries();
            } else {
                w.otherRequests += e.getValue().requests();
            }
            if (k.operation().equals("PutEvents")) {
                events += e.getValue().entries();
            }
            if (k.operation().startsWith("SendMessage")) {
                sqs += e.getValue().entries();
            }
        }
        return new Counts(invocations, ms / 1000.0 * MEMORY_GB, apiRequests, requests, write, read, events, sqs, where);
    }

    /**
     * An item's size as DynamoDB counts it (Developer Guide, "DynamoDB item sizes and formats"): for each attribute the
     * UTF-8 bytes of its name plus its value: a string's UTF-8 bytes, a number's 1 byte per two significant digits
     * plus 1, a binary's raw bytes, 1 for a boolean or null, a list or map 3 bytes plus its elements plus 1 byte an
     * element (a map element counting its name too), a set the sum of its members.
     */
    static long itemBytes(Map<String, AttributeValue> item) {
        long total = 0;
        for (Map.Entry<String, AttributeValue> e : item.entrySet()) {
            total += utf8(e.getKey()) + valueBytes(e.getValue());
        }
        return total;
    }

    private static long valueBytes(AttributeValue v) {
        if (v.s() != null) {
            return utf8(v.s());
        }
        if (v.n() != null) {
            return numberBytes(v.n());
        }
        if (v.b() != null) {
            return v.b().asByteArray().length;
        }
        if (v.bool() != null || Boolean.TRUE.equals(v.nul())) {
            return 1;
        }
        if (v.hasSs()) {
            return v.ss().stream().mapToLong(SessionLife::utf8).sum();
        }
        if (v.hasNs()) {
            return v.ns().stream().mapToLong(SessionLife::numberBytes).sum();
        }
        if (v.hasBs()) {
            return v.bs().stream().mapToLong(b -> b.asByteArray().length).sum();
        }
        if (v.hasL()) {
            return 3 + v.l().stream().mapToLong(x -> 1 + valueBytes(x)).sum();
        }
        if (v.hasM()) {
            return 3 + v.m().entrySet().stream().mapToLong(x -> 1 + utf8(x.getKey()) + valueBytes(x.getValue())).sum();
        }
        return 0;
    }

    private static long numberBytes(String n) {
        String digits = new java.math.BigDecimal(n).unscaledValue().abs().toString().replaceAll("^0+", "").replaceAll("0+$", "");
        return (Math.max(1, digits.length()) + 1) / 2 + 1;
    }

    private static long utf8(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }
}
