package dev.sluice.agent.infra;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The agent fleet in template.yaml: the role grants exactly the agent's permissions, everything is off by default,
 * the launch template requires IMDSv2, and its user data is infra/ec2/user-data.sh byte for byte (which in turn
 * carries infra/ec2/sluice-agent.service byte for byte). CloudFormation short tags (!Sub, !Ref, ...) are read by
 * the YAML parser as their plain values, which is all these checks need.
 */
class AgentFleetTemplateTest {

    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final List<String> FLEET = List.of("AgentRole", "AgentApiPolicy", "AgentInstanceProfile", "AgentLaunchTemplate",
            "AgentFleet");
    private static JsonNode template;

    @BeforeAll
    static void read() throws IOException {
        template = new ObjectMapper(new YAMLFactory()).readTree(ROOT.resolve("template.yaml").toFile());
    }

    private static JsonNode resource(String name) {
        JsonNode r = template.path("Resources").path(name);
        assertThat(r.isMissingNode()).as("resource " + name).isFalse();
        return r;
    }

    @Test
    void theAgentRoleGrantsExactlyTheAgentsPermissions() {
        JsonNode role = resource("AgentRole").path("Properties");
        assertThat(role.has("ManagedPolicyArns")).as("no managed policies").isFalse();
        assertThat(role.has("PermissionsBoundary")).isFalse();
        JsonNode trust = role.path("AssumeRolePolicyDocument").path("Statement");
        assertThat(trust).hasSize(1);
        assertThat(trust.get(0).path("Principal").path("Service").asText()).isEqualTo("ec2.amazonaws.com");
        assertThat(trust.get(0).path("Action").asText()).isEqualTo("sts:AssumeRole");

        JsonNode policies = role.path("Policies");
        assertThat(policies).hasSize(1);
        List<JsonNode> documents = new ArrayList<>(List.of(policies.get(0).path("PolicyDocument")));
        // Policies attached to the role from outside (AgentApiPolicy: the API named inside the role would be a cycle).
        template.path("Resources").forEach(r -> {
            if (r.path("Type").asText().equals("AWS::IAM::Policy") && values(r.path("Properties").path("Roles")).contains("AgentRole")) {
                documents.add(r.path("Properties").path("PolicyDocument"));
            }
        });
        assertThat(documents).hasSize(2);
        Set<String> grants = new TreeSet<>();
        for (JsonNode statement : documents.stream().flatMap(d -> java.util.stream.StreamSupport.stream(
                d.path("Statement").spliterator(), false)).toList()) {
            assertThat(statement.path("Effect").asText()).isEqualTo("Allow");
            assertThat(statement.has("NotAction")).isFalse();
            assertThat(statement.has("NotResource")).isFalse();
            assertThat(statement.has("Condition")).isFalse();
            for (String action : values(statement.path("Action"))) {
                grants.add(action + " on " + resourceText(statement.path("Resource")));
            }
        }
        assertThat(grants).containsExactlyInAnyOrder(
                "execute-api:Invoke on arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${SluiceApi}/*/*/agent/*",
                "s3:GetObject on arn:${AWS::Partition}:s3:::${ArtifactObject}");
    }

    @Test
    void theArtifactObjectIsTheKeyOfTheArtifactUriParameter() {
        JsonNode download = null;
        for (JsonNode s : resource("AgentRole").path("Properties").path("Policies").get(0).path("PolicyDocument").path("Statement")) {
            if (s.path("Sid").asText().equals("DownloadTheAgent")) {
                download = s;
            }
        }
        assertThat(download).isNotNull();
        JsonNode select = download.path("Resource").get(1).path("ArtifactObject");
        assertThat(select.get(0).asInt()).isEqualTo(1);
        assertThat(select.get(1).get(0).asText()).isEqualTo("s3://");
        assertThat(select.get(1).get(1).asText()).isEqualTo("AgentArtifactUri");
        assertThat(template.path("Parameters").path("AgentArtifactUri").path("AllowedPattern").asText())
                .isEqualTo("^(s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+)?$");
    }

    @Test
    void everyFleetResourceAndOutputIsOffByDefault() {
        // The role, profile and launch template exist with AgentArtifactUri alone (the elastic fleet launches from the
        // template); the fixed-size Auto Scaling group needs the type and subnets too.
        for (String name : FLEET) {
            assertThat(resource(name).path("Condition").asText()).as(name)
                    .isEqualTo(name.equals("AgentFleet") ? "CreateAgentFleet" : "CreateAgentLaunchTemplate");
        }
        assertThat(resource("FleetLaunchPolicy").path("Condition").asText()).isEqualTo("CreateAgentLaunchTemplate");
        assertThat(template.path("Conditions").path("CreateAgentLaunchTemplate").toString()).contains("AgentArtifactUri");
        template.path("Outputs").fields().forEachRemaining(o -> {
            if (o.getKey().startsWith("Agent")) {
                assertThat(o.getValue().path("Condition").asText()).as(o.getKey()).isEqualTo("CreateAgentLaunchTemplate");
            }
        });
        JsonNode p = template.path("Parameters");
        assertThat(p.path("AgentInstanceType").path("Default").asText()).isEmpty();
        assertThat(p.path("AgentArtifactUri").path("Default").asText()).isEmpty();
        assertThat(p.path("AgentDesiredCount").path("Default").asInt()).isZero();
        assertThat(p.path("AgentSubnetIds").path("Type").asText()).isEqualTo("CommaDelimitedList");
        assertThat(p.path("AgentSubnetIds").path("Default").asText()).isEmpty();
        assertThat(p.path("AgentImageId").path("Default").asText())
                .isEqualTo("resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id");
        assertThat(template.path("Conditions").path("CreateAgentFleet")).hasSize(3);
    }

    @Test
    void theLaunchTemplateRequiresImdsV2WithOneHop() {
        JsonNode data = resource("AgentLaunchTemplate").path("Properties").path("LaunchTemplateData");
        assertThat(data.path("MetadataOptions").path("HttpTokens").asText()).isEqualTo("required");
        assertThat(data.path("MetadataOptions").path("HttpPutResponseHopLimit").asInt()).isEqualTo(1);
        assertThat(data.path("IamInstanceProfile").path("Arn").asText()).isEqualTo("AgentInstanceProfile.Arn");
        assertThat(data.path("BlockDeviceMappings").get(0).path("Ebs").path("Encrypted").asBoolean()).isTrue();
    }

    @Test
    void theSchedulerFunctionsLaunchFromTheTemplateAndTerminateOnlyThisStacksInstances() {
        JsonNode policy = resource("FleetLaunchPolicy").path("Properties");
        assertThat(values(policy.path("Roles"))).containsExactlyInAnyOrder("SchedulerTickFunctionRole", "SchedulerNudgeFunctionRole");
        java.util.Map<String, JsonNode> bySid = new java.util.HashMap<>();
        policy.path("PolicyDocument").path("Statement").forEach(st -> bySid.put(st.path("Sid").asText(), st));

        JsonNode terminate = bySid.get("TerminateThisStacksInstances");
        assertThat(values(terminate.path("Action"))).containsExactly("ec2:TerminateInstances");
        assertThat(terminate.path("Condition").path("StringEquals").path("aws:ResourceTag/sluice:stack").asText()).isEqualTo("AWS::StackName");
        JsonNode pass = bySid.get("PassTheAgentRole");
        assertThat(pass.path("Resource").asText()).isEqualTo("AgentRole.Arn");
        assertThat(pass.path("Condition").path("StringEquals").path("iam:PassedToService").asText()).isEqualTo("ec2.amazonaws.com");
        JsonNode tag = bySid.get("TagWhatTheLaunchCreates");
        assertThat(values(tag.path("Condition").path("StringEquals").path("ec2:CreateAction"))).containsExactlyInAnyOrder("CreateFleet", "RunInstances");
        assertThat(values(bySid.get("LaunchFromTheAgentLaunchTemplate").path("Resource")))
                .contains("arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:launch-template/${AgentLaunchTemplate}",
                        // a spot launch names the spot request it makes: without it, every spot candidate is refused
                        "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:spot-instances-request/*")
                .noneMatch(r -> r.endsWith(":launch-template/*") || r.equals("*"));
        // Only DescribeInstances, which has no resource-level permissions, is granted on everything.
        policy.path("PolicyDocument").path("Statement").forEach(st -> {
            if (values(st.path("Resource")).contains("*")) {
                assertThat(values(st.path("Action"))).as(st.path("Sid").asText()).containsExactly("ec2:DescribeInstances");
            }
        });
        // The launch template tags every instance with the stack, so the fixed fleet's agents are terminable too.
        JsonNode tags = resource("AgentLaunchTemplate").path("Properties").path("LaunchTemplateData").path("TagSpecifications").get(0).path("Tags");
        List<String> keys = new ArrayList<>();
        tags.forEach(t -> keys.add(t.path("Key").asText()));
        assertThat(keys).contains("sluice:stack").doesNotContain("sluice:resource-group");
        for (String fn : List.of("SchedulerTickFunction", "SchedulerNudgeFunction")) {
            JsonNode env = resource(fn).path("Properties").path("Environment").path("Variables");
            assertThat(env.has("SLUICE_AGENT_LAUNCH_TEMPLATE_ID")).as(fn).isTrue();
            assertThat(env.path("SLUICE_STACK_NAME").asText()).as(fn).isEqualTo("AWS::StackName");
        }
    }

    @Test
    void theUserDataIsUserDataShByteForByte() throws IOException {
        String inTemplate = resource("AgentLaunchTemplate").path("Properties").path("LaunchTemplateData")
                .path("UserData").path("Fn::Base64").asText();
        String script = Files.readString(ROOT.resolve("infra/ec2/user-data.sh"));

        assertThat(inTemplate).isEqualTo(script);
    }

    @Test
    void everySubstitutionInTheUserDataNamesSomethingTheTemplateHas() throws IOException {
        String script = Files.readString(ROOT.resolve("infra/ec2/user-data.sh"));
        Set<String> known = new HashSet<>();
        template.path("Parameters").fieldNames().forEachRemaining(known::add);
        template.path("Resources").fieldNames().forEachRemaining(known::add);
        known.addAll(List.of("AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::StackName", "AWS::URLSuffix"));
        Matcher m = Pattern.compile("\\$\\{([^}!]*)}").matcher(script);
        List<String> used = new ArrayList<>();
        while (m.find()) {
            used.add(m.group(1));
        }
        assertThat(used).isNotEmpty().allSatisfy(name -> assertThat(known).as("${" + name + "}").contains(name));
        assertThat(used).contains("AgentArtifactUri", "SluiceApi", "AgentResourceGroup", "AWS::Region");
    }

    @Test
    void theUserDataIsValidBashOnceCloudFormationHasSubstitutedIt() throws Exception {
        String rendered = Files.readString(ROOT.resolve("infra/ec2/user-data.sh"))
                .replace("${AWS::Region}", "eu-west-1")
                .replace("${AgentArtifactUri}", "s3://artifacts/sluice/sluice-agent.jar")
                .replace("${SluiceApi}", "a1b2c3d4e5")
                .replace("${AgentResourceGroup}", "gpu-a10g");
        assertThat(rendered).doesNotContain("${");
        Process bash = new ProcessBuilder("bash", "-n").redirectErrorStream(true).start();
        bash.getOutputStream().write(rendered.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        bash.getOutputStream().close();
        String output = new String(bash.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(bash.waitFor()).as(output).isZero();
        assertThat(rendered).contains("api.endpoint=https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/v1\n")
                .contains("aws s3 cp --region eu-west-1 --only-show-errors \"s3://artifacts/sluice/sluice-agent.jar\"")
                .contains("dnf install -y java-21-amazon-corretto-headless")
                .contains("systemctl enable --now sluice-agent.service");
    }

    @Test
    void theUserDataInstallsTheSystemdUnitByteForByte() throws IOException {
        String script = Files.readString(ROOT.resolve("infra/ec2/user-data.sh"));
        String unit = Files.readString(ROOT.resolve("infra/ec2/sluice-agent.service"));
        String marker = "cat > /etc/systemd/system/sluice-agent.service <<'UNIT'\n";

        int start = script.indexOf(marker);
        assertThat(start).isPositive();
        int end = script.indexOf("\nUNIT\n", start);
        assertThat(script.substring(start + marker.length(), end + 1)).isEqualTo(unit);
        assertThat(unit).contains("ExecStart=/usr/bin/java -Xmx96m -XX:+UseSerialGC -jar /opt/sluice/sluice-agent.jar "
                + "--config /etc/sluice/agent.properties")
                .contains("Restart=always").contains("RestartSec=5").contains("User=sluice")
                .contains("SupplementaryGroups=docker").doesNotContain("${");
        assertThat(unit.lines()).as("settings that would break nvidia-smi or the JIT")
                .noneMatch(l -> l.startsWith("PrivateDevices=") || l.startsWith("MemoryDenyWriteExecute="));
    }

    @Test
    void theAgentPropertiesUseTheDocumentedNames() throws IOException {
        String script = Files.readString(ROOT.resolve("infra/ec2/user-data.sh"));
        String readme = Files.readString(ROOT.resolve("infra/ec2/README.md"));
        int start = script.indexOf("<<PROPERTIES\n") + "<<PROPERTIES\n".length();
        String properties = script.substring(start, script.indexOf("\nPROPERTIES\n", start));
        List<String> names = new ArrayList<>();
        for (String line : properties.split("\n")) {
            names.add(line.substring(0, line.indexOf('=')));
        }
        assertThat(names).containsExactly("api.endpoint", "agent.id", "resource.group", "auth", "aws.region",
                "heartbeat.interval", "runtime", "work.dir", "stop.grace");
        assertThat(names).allSatisfy(n -> assertThat(readme).contains("| `" + n + "` |"));
    }

    private static List<String> values(JsonNode node) {
        List<String> values = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(v -> values.add(v.asText()));
        } else {
            values.add(node.asText());
        }
        return values;
    }

    private static String resourceText(JsonNode resource) {
        // !Sub [template, {vars}] reads as an array whose first element is the template.
        return resource.isArray() ? resource.get(0).asText() : resource.asText();
    }
}
