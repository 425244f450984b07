package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The pinned cfn-lint on template.yaml as CloudFormation sees it (expanded by the SAM translator), informational rules
 * included: every finding is on the committed allow-list (infra/checks/cfn-lint-allow.txt, a reason per line), and
 * every line of the list still matches a finding. The source template is linted by TemplateIT; on it cfn-lint skips
 * what SAM generates (the agent role's dependency cycle was only visible here).
 */
class CfnLintExpandedTest {
    static final Path ALLOW_LIST = LocalStack.ROOT.resolve("infra/checks/cfn-lint-allow.txt");

    record Allowed(String rule, Pattern resource, Pattern path, String line) {
        boolean matches(Finding f) {
            return rule.equals(f.rule()) && resource.matcher(f.resource()).matches() && path.matcher(f.path()).matches();
        }
    }

    record Finding(String rule, String resource, String path, String message) {
        @Override
        public String toString() {
            return rule + " " + resource + " " + path + ": " + message;
        }
    }

    @Test
    void everyFindingOnTheExpandedTemplateIsAllowedWithAReasonAndEveryAllowanceIsUsed() throws Exception {
        ExpandedTemplate.json();
        List<Finding> findings = lint(ExpandedTemplate.FILE);
        List<Allowed> allowed = allowList();
        Map<Allowed, Integer> used = new LinkedHashMap<>();
        allowed.forEach(a -> used.put(a, 0));
        List<Finding> refused = new ArrayList<>();
        for (Finding f : findings) {
            Allowed by = allowed.stream().filter(a -> a.matches(f)).findFirst().orElse(null);
            if (by == null) {
                refused.add(f);
            } else {
                used.merge(by, 1, Integer::sum);
            }
        }
        assertThat(refused).as("cfn-lint findings on the expanded template that the allow-list does not allow").isEmpty();
        assertThat(used.entrySet().stream().filter(e -> e.getValue() == 0).map(e -> e.getKey().line()).toList())
                .as("allow-list lines that match no finding (remove them from " + ALLOW_LIST.getFileName() + ")").isEmpty();
    }

    @Test
    void theLintFindsWhatItShouldOnABrokenTemplate() throws Exception {
        // A dependency cycle and a table without a deletion policy: an error and an informational finding.
        Path broken = ExpandedTemplate.FILE.resolveSibling("broken-template.json");
        Files.writeString(broken, """
                {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {
                  "Queue": {"Type": "AWS::SQS::Queue", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                            "Properties": {"Tags": [{"Key": "t", "Value": {"Ref": "Topic"}}]}},
                  "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"Tags": [{"Key": "q", "Value": {"Fn::GetAtt": ["Queue", "Arn"]}}]}},
                  "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"BillingMode": "PAY_PER_REQUEST",
                            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}}}}
                """);
        List<Finding> findings = lint(broken);
        assertThat(findings).extracting(Finding::rule).contains("E3004", "I3011");
        assertThat(findings.stream().filter(f -> f.rule().equals("I3011")).map(Finding::resource)).containsOnly("Table");
    }

    static List<Finding> lint(Path template) throws Exception {
        Process lint = new ProcessBuilder(ExpandedTemplate.venv().resolve("bin/cfn-lint").toString(), "--include-checks", "I",
                "--format", "json", "--", template.toString()).directory(LocalStack.ROOT.toFile()).start();
        String out = new String(lint.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(lint.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(lint.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(err).as("cfn-lint's errors").isEmpty();
        List<Finding> findings = new ArrayList<>();
        for (JsonNode f : ExpandedTemplate.MAPPER.readTree(out)) {
            List<String> path = new ArrayList<>();
            f.path("Location").path("Path").forEach(p -> path.add(p.asText()));
            boolean inResource = path.size() > 1 && path.get(0).equals("Resources");
            findings.add(new Finding(f.path("Rule").path("Id").asText(), inResource ? path.get(1) : "",
                    String.join("/", inResource ? path.subList(2, path.size()) : path), f.path("Message").asText()));
        }
        return findings;
    }

    static List<Allowed> allowList() throws Exception {
        List<Allowed> allowed = new ArrayList<>();
        for (String line : Files.readAllLines(ALLOW_LIST)) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.trim().split("\\s+", 4);
            assertThat(parts).as("an allow-list line is RULE RESOURCE PATH REASON: " + line).hasSize(4);
            allowed.add(new Allowed(parts[0], glob(parts[1]), glob(parts[2]), line));
        }
        return allowed;
    }

    private static Pattern glob(String glob) {
        return Pattern.compile(java.util.Arrays.stream(glob.split("\\*", -1)).map(Pattern::quote).collect(Collectors.joining(".*")));
    }
}
