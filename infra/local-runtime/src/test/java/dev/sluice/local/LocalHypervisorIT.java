package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.aws.AwsClients;
import dev.sluice.adapters.json.Json;
import dev.sluice.core.agent.Agent;
import dev.sluice.core.agent.AgentStatus;
import dev.sluice.core.fleet.FleetCatalog;
import dev.sluice.core.group.ResourceGroup;
import dev.sluice.core.request.RequestFields;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.InstanceType;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The local runtime as the hypervisor of the emulator's EC2, over the wire: an instance launched with the group tag
 * becomes an agent process (its id the instance id, its slots the catalog's for the type) that heartbeats after the
 * boot delay; a terminated instance's agent is gone within seconds; each agent's IMDS answers the IMDSv2 token flow and
 * says {@code terminate} once interrupted; {@code LocalRuntime interrupt} (what {@code sluice-local interrupt} runs),
 * as a process, puts the interruption warning on the default bus and the instance is terminated at the deadline.
 */
class LocalHypervisorIT {
    private static final Duration BOOT_DELAY = Duration.ofSeconds(3);
    private static LocalStack stack;
    private static ControlPlane plane;
    private static Ec2Client ec2;
    private static String group;
    private static FleetCatalog catalog;
    private static Path state;
    private static AgentProcesses agents;
    private static LocalHypervisor hypervisor;
    private static final List<String> launched = new ArrayList<>();

    @BeforeAll
    static void hypervisor() throws Exception {
        stack = LocalStack.get();
        plane = stack.controlPlane();
        ec2 = Ec2Client.builder().httpClient(AwsClients.httpClient()).build();
        group = "hv-" + UUID.randomUUID().toString().substring(0, 8);
        Instant now = Instant.now();
        plane.groupStore().create(ResourceGroup.fromDefinition(group, RequestFields.of(Map.of("scheduler", "fifo")), now, now));
        // A long idle time: nothing of this test is given back by a fleet while it runs.
        catalog = FleetCatalog.parse(RequestFields.of(ElasticGroup.catalog(ElasticGroup.defaultSubnets(ec2), Duration.ofHours(1))));
        assertThat(plane.groupStore().saveFleet(group, catalog)).isTrue();
        state = Files.createTempDirectory(LocalStack.ROOT.resolve("infra/local-runtime/target"), "hypervisor-it-");
        agents = new AgentProcesses(LocalStack.ROOT, state, stack.apiUrl, LocalUsers.of(stack.stack), Duration.ofSeconds(1));
        hypervisor = new LocalHypervisor(ec2, AwsClients.shared().eventBridge(), plane.groupStore()::fleet, agents, BOOT_DELAY,
                Duration.ofSeconds(1), Optional.of(LocalRuntime.controlDir(state)), Set.of(group), Clock.systemUTC()).start();
    }

    @AfterAll
    static void stop() {
        if (hypervisor != null) {
            hypervisor.close();
            agents.close();
        }
        List<String> left = launched.stream().filter(id -> !state(id).equals("terminated")).toList();
        if (!left.isEmpty()) {
            ec2.terminateInstances(b -> b.instanceIds(left));
        }
        // The agents this test stopped are found lost now, not by a later test's sweep.
        boolean any = false;
        for (String id : launched) {
            if (alive(id).isPresent()) {
                stack.agentSilentPastTheTimeout(id);
                any = true;
            }
        }
        if (any) {
            try (software.amazon.awssdk.services.lambda.LambdaClient lambda = software.amazon.awssdk.services.lambda.LambdaClient.builder().build()) {
                var r = lambda.invoke(b -> b.functionName(stack.functionNamed("AgentMonitor"))
                        .payload(software.amazon.awssdk.core.SdkBytes.fromUtf8String("{}")));
                assertThat(r.functionError()).as(r.payload().asUtf8String()).isNull();
            }
            assertThat(launched.stream().filter(id -> alive(id).isPresent()).toList()).as("the stopped agents are lost").isEmpty();
        }
    }

    private static String launch(String type, String subnet) {
        String id = ec2.runInstances(b -> b.imageId("ami-00000000").instanceType(type).minCount(1).maxCount(1).subnetId(subnet)
                .tagSpecifications(t -> t.resourceType(ResourceType.INSTANCE).tags(
                        x -> x.key(LocalHypervisor.GROUP_TAG).value(group), x -> x.key("sluice:launch-ref").value("it"))))
                .instances().get(0).instanceId();
        launched.add(id);
        return id;
    }

    private static String state(String id) {
        return ec2.describeInstances(b -> b.instanceIds(id)).reservations().get(0).instances().get(0).state().nameAsString();
    }

    private static void await(String what, Duration within, BooleanSupplier done) throws InterruptedException {
        Instant deadline = Instant.now().plus(within);
        while (!done.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError(what + " did not happen within " + within);
            }
            Thread.sleep(100);
        }
    }

    private static Optional<Agent> alive(String id) {
        return plane.agentStore().find(id).filter(a -> a.status() == AgentStatus.ALIVE);
    }

    private static String imdsToken(String base) throws Exception {
        HttpResponse<String> t = ImdsStubTest.token(base, "21600");
        assertThat(t.statusCode()).isEqualTo(200);
        return t.body();
    }

    @Test
    void aLaunchedInstanceBecomesAnAgentAfterTheBootDelayAndItsInterruptionEndsIt() throws Exception {
        Instant asked = Instant.now();
        String id = launch("g5.xlarge", "subnet-00000002");
        Thread.sleep(1500);
        assertThat(hypervisor.hosted()).as("no agent before the boot delay").doesNotContainKey(id);

        await("the agent of " + id + " heartbeating", Duration.ofSeconds(40), () -> alive(id).isPresent());
        Agent agent = alive(id).orElseThrow();
        assertThat(agent.resourceGroup()).isEqualTo(group);
        assertThat(agent.availableSlots()).as("the catalog's slots for g5.xlarge")
                .isEqualTo(catalog.type("g5.xlarge").orElseThrow().slots());
        // the emulator's launch time is in whole seconds: the agent started no earlier than that plus the boot delay
        assertThat(agent.firstContact()).isAfterOrEqualTo(asked.plus(BOOT_DELAY).minusSeconds(1));
        LocalHypervisor.HostedAgent hosted = hypervisor.hosted().get(id);
        assertThat(hosted.slots()).isEqualTo("cuda.device=1,cpu=4,mem=16g");
        ProcessHandle process = ProcessHandle.of(hosted.pid()).orElseThrow();
        String environ = Files.readString(Path.of("/proc/" + hosted.pid() + "/environ"));
        assertThat(environ).contains("SLUICE_AGENT_AGENT_ID=" + id).contains("SLUICE_AGENT_IMDS_ENDPOINT=" + hosted.imdsUrl())
                .contains("SLUICE_AGENT_WORK_DIR=" + agents.workDir(id)).contains("SLUICE_AGENT_RESOURCE_GROUP=" + group);

        // Its IMDS: the IMDSv2 token, the instance's identity and zone (its subnet's), no interruption yet.
        String base = hosted.imdsUrl();
        String token = imdsToken(base);
        assertThat(ImdsStubTest.get(base + "/latest/meta-data/instance-id", token).body()).isEqualTo(id);
        assertThat(ImdsStubTest.get(base + "/latest/meta-data/instance-type", token).body()).isEqualTo("g5.xlarge");
        assertThat(ImdsStubTest.get(base + "/latest/meta-data/placement/availability-zone", token).body()).isEqualTo("us-east-1b");
        assertThat(ImdsStubTest.get(base + "/latest/meta-data/spot/instance-action", token).statusCode()).isEqualTo(404);

        Instant deadline;
        try (SqsClient sqs = SqsClient.builder().build(); EventBridgeClient events = EventBridgeClient.builder().build()) {
            String queueUrl = sqs.createQueue(b -> b.queueName("hypervisor-it-" + UUID.randomUUID().toString().substring(0, 8))).queueUrl();
            String queueArn = sqs.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
                    .attributes().get(QueueAttributeName.QUEUE_ARN);
            String rule = "hypervisor-it-" + UUID.randomUUID().toString().substring(0, 8);
            events.putRule(b -> b.name(rule).eventBusName("default").eventPattern(Json.write(Map.of(
                    "detail-type", List.of(LocalHypervisor.INTERRUPTION_DETAIL_TYPE), "detail", Map.of("instance-id", List.of(id))))));
            events.putTargets(b -> b.rule(rule).eventBusName("default").targets(t -> t.id("queue").arn(queueArn)));

            // What `sluice-local interrupt ID --in 4` runs, as a process against this hypervisor's state directory.
            Process cli = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-jar",
                    LocalStack.ROOT.resolve("infra/local-runtime/target/sluice-local-runtime.jar").toString(), "interrupt", id, "--in", "4",
                    "--state", state.toString()).redirectErrorStream(true).start();
            assertThat(cli.waitFor(30, TimeUnit.SECONDS)).isTrue();
            String out = new String(cli.getInputStream().readAllBytes()).trim();
            assertThat(cli.exitValue()).as(out).isZero();
            Map<String, Object> answer = Json.readObject(out.lines().reduce((a, b) -> b).orElseThrow());
            deadline = Instant.parse((String) answer.get("deadline"));
            assertThat(answer).containsEntry("instance_id", id);
            assertThat(deadline).isBetween(asked.plusSeconds(3), Instant.now().plusSeconds(5));
            // The emulator, as EventBridge, refuses aws.* sources from PutEvents: the local source is the fallback.
            assertThat(answer.get("event_source")).isIn(LocalHypervisor.AWS_SOURCE, LocalHypervisor.LOCAL_SOURCE);

            HttpResponse<String> action = ImdsStubTest.get(base + "/latest/meta-data/spot/instance-action", token);
            assertThat(action.statusCode()).isEqualTo(200);
            assertThat(Json.readObject(action.body())).isEqualTo(Map.of("action", "terminate", "time", deadline.toString()));

            JsonNode event = null;
            Instant until = Instant.now().plusSeconds(15);
            while (event == null && Instant.now().isBefore(until)) {
                for (Message m : sqs.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(10).waitTimeSeconds(1)).messages()) {
                    event = Json.MAPPER.readTree(m.body());
                }
            }
            assertThat(event).as("the warning on the default bus").isNotNull();
            assertThat(event.path("source").asText()).isEqualTo(answer.get("event_source"));
            assertThat(event.path("detail-type").asText()).isEqualTo("EC2 Spot Instance Interruption Warning");
            assertThat(event.path("id").asText()).isEqualTo(answer.get("event_id"));
            assertThat(Json.MAPPER.convertValue(event.path("detail"), Map.class))
                    .isEqualTo(Map.of("instance-id", id, "instance-action", "terminate"));
            assertThat(event.path("resources").toString()).contains("instance/" + id);
            events.removeTargets(b -> b.rule(rule).eventBusName("default").ids("queue"));
            events.deleteRule(b -> b.name(rule).eventBusName("default"));
            sqs.deleteQueue(b -> b.queueUrl(queueUrl));
        }

        assertThat(state(id)).as("running until its deadline").isEqualTo("running");
        Instant due = deadline;
        await("the termination of " + id + " at its deadline", Duration.between(Instant.now(), due).plusSeconds(3),
                () -> state(id).equals("terminated"));
        assertThat(Instant.now()).as("not before the deadline").isAfterOrEqualTo(due);
        await("the end of the agent of " + id, Duration.ofSeconds(8), () -> !process.isAlive());
        assertThat(hypervisor.hosted()).doesNotContainKey(id);
    }

    @Test
    void aTerminatedInstancesAgentIsGoneWithinSecondsAndATypeOutsideTheCatalogIsNotHosted() throws Exception {
        String id = launch("g5.12xlarge", "subnet-00000001");
        String unknown = launch("t3.micro", "subnet-00000001");
        // As the fleet launches: an instant EC2 Fleet over a launch template, the tags on the request.
        String template = "hv-it-" + UUID.randomUUID().toString().substring(0, 8);
        ec2.createLaunchTemplate(b -> b.launchTemplateName(template).launchTemplateData(d -> d.imageId("ami-00000000")));
        String fleetLaunched = ec2.createFleet(b -> b.type(software.amazon.awssdk.services.ec2.model.FleetType.INSTANT)
                .launchTemplateConfigs(c -> c.launchTemplateSpecification(l -> l.launchTemplateName(template).version("$Latest"))
                        .overrides(o -> o.instanceType(InstanceType.G5_XLARGE).subnetId("subnet-00000003")))
                .targetCapacitySpecification(t -> t.totalTargetCapacity(1).defaultTargetCapacityType(
                        software.amazon.awssdk.services.ec2.model.DefaultTargetCapacityType.SPOT))
                .tagSpecifications(t -> t.resourceType(ResourceType.INSTANCE).tags(x -> x.key(LocalHypervisor.GROUP_TAG).value(group))))
                .instances().get(0).instanceIds().get(0);
        launched.add(fleetLaunched);
        await("the agent of " + id + " heartbeating", Duration.ofSeconds(40), () -> alive(id).isPresent());
        await("the agent of the fleet's " + fleetLaunched + " heartbeating", Duration.ofSeconds(20), () -> alive(fleetLaunched).isPresent());
        String fleetImds = hypervisor.hosted().get(fleetLaunched).imdsUrl();
        assertThat(ImdsStubTest.get(fleetImds + "/latest/meta-data/placement/availability-zone", imdsToken(fleetImds)).body())
                .isEqualTo("us-east-1c");
        ec2.terminateInstances(b -> b.instanceIds(fleetLaunched));
        assertThat(alive(id).orElseThrow().availableSlots()).isEqualTo(catalog.type("g5.12xlarge").orElseThrow().slots());
        assertThat(hypervisor.hosted()).as("t3.micro is not in the group's catalog: its slots are unknown").doesNotContainKey(unknown);
        ProcessHandle process = ProcessHandle.of(hypervisor.hosted().get(id).pid()).orElseThrow();
        String imds = hypervisor.hosted().get(id).imdsUrl();

        Instant terminated = Instant.now();
        ec2.terminateInstances(b -> b.instanceIds(id));
        await("the end of the agent of " + id, Duration.ofSeconds(6), () -> !process.isAlive());
        Duration took = Duration.between(terminated, Instant.now());
        System.out.println("agent of a terminated instance gone after " + took.toMillis() + " ms");
        assertThat(hypervisor.hosted()).doesNotContainKey(id);
        assertThatThrownBy(() -> ImdsStubTest.token(imds, "60")).as("its IMDS is closed").isInstanceOf(java.io.IOException.class);

        assertThatThrownBy(() -> hypervisor.interrupt(id, Duration.ofSeconds(5))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Instance " + id + " is terminated, not running: there is nothing to interrupt.");
        assertThatThrownBy(() -> hypervisor.interrupt("i-0fffffffffffffff0", Duration.ofSeconds(5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("There is no instance i-0fffffffffffffff0 in the emulator");
        ec2.terminateInstances(b -> b.instanceIds(unknown));
    }
}
