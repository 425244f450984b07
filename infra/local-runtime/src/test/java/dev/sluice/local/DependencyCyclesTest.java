package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The expanded template has no dependency cycle in any configuration; the check itself finds and names cycles. */
class DependencyCyclesTest {

    @Test
    void theExpandedTemplateIsAcyclicInEveryConfigurationAndWithConditionsIgnored() throws Exception {
        JsonNode template = ExpandedTemplate.json();
        assertThat(template.path("Conditions").size()).as("conditions to combine").isPositive();
        assertThat(DependencyCycles.find(template)).isEmpty();
    }

    /** The shape of issue #12's cycle: API -> function (its environment names the role) -> role (its policy names the API). */
    private static final String AGENT_ROLE_CYCLE = """
            {"Conditions": {"Fleet": {"Fn::Equals": ["a", "b"]}, "Local": {"Fn::Equals": ["a", "a"]}},
             "Resources": {
               "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Body": {"uri":
                   {"Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/functions/${Work.Arn}/invocations"}}}},
               "Work": {"Type": "AWS::Lambda::Function", "Properties": {"Environment": {"Variables": {
                   "ROLE": {"Fn::If": ["Fleet", {"Ref": "Role"}, "none"]}}}}},
               "Role": {"Type": "AWS::IAM::Role", "Condition": "Fleet", "Properties": {"Policies": [{"Resource":
                   {"Fn::Sub": ["arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Id}/*", {"Id": {"Ref": "Api"}}]}}]}}}}
            """;

    @Test
    void aCycleIsFoundWithConditionsIgnoredAndInTheCombinationsThatDeployIt() throws Exception {
        List<DependencyCycles.Cycle> cycles = DependencyCycles.find(ExpandedTemplate.MAPPER.readTree(AGENT_ROLE_CYCLE));
        assertThat(cycles).extracting(DependencyCycles.Cycle::configuration).containsExactlyInAnyOrder(
                DependencyCycles.CONDITIONS_IGNORED, "{Fleet=true, Local=false}", "{Fleet=true, Local=true}");
        assertThat(cycles.get(0).toString()).isEqualTo("Api -> Work -> Role -> Api (conditions ignored)");
    }

    @Test
    void thePolicyInAResourceOfItsOwnBreaksTheCycle() throws Exception {
        String fixed = """
                {"Conditions": {"Fleet": {"Fn::Equals": ["a", "b"]}},
                 "Resources": {
                   "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Body": {"uri": {"Fn::Sub": "${Work.Arn}"}}}},
                   "Work": {"Type": "AWS::Lambda::Function", "Properties": {"Environment": {"Variables": {
                       "ROLE": {"Fn::If": ["Fleet", {"Ref": "Role"}, "none"]}}}}},
                   "Role": {"Type": "AWS::IAM::Role", "Condition": "Fleet", "Properties": {}},
                   "ApiPolicy": {"Type": "AWS::IAM::Policy", "Condition": "Fleet", "Properties": {"Roles": [{"Ref": "Role"}],
                       "PolicyDocument": {"Resource": {"Fn::Sub": "arn:${AWS::Partition}:execute-api:::${Api}/*"}}}}}}
                """;
        assertThat(DependencyCycles.find(ExpandedTemplate.MAPPER.readTree(fixed))).isEmpty();
    }

    @Test
    void everyKindOfReferenceIsAnEdge() throws Exception {
        JsonNode template = ExpandedTemplate.MAPPER.readTree("""
                {"Resources": {
                   "A": {"Type": "T", "Properties": {"X": {"Ref": "B"}, "Y": {"Fn::GetAtt": ["C", "Arn"]}, "Z": {"Fn::GetAtt": "D.Arn"}}},
                   "B": {"Type": "T", "Properties": {"X": {"Fn::Sub": "${E}/${F.Name}/${!G}/${AWS::Region}"}}},
                   "C": {"Type": "T", "DependsOn": ["E"], "Properties": {"X": {"Fn::Sub": ["${H}-${Mapped}", {"Mapped": {"Ref": "F"}}]}}},
                   "D": {"Type": "T", "DependsOn": "F"},
                   "E": {"Type": "T"}, "F": {"Type": "T"}, "G": {"Type": "T"}, "H": {"Type": "T"}}}
                """);
        var graph = DependencyCycles.graph(template, null);
        assertThat(graph.get("A")).containsExactlyInAnyOrder("B", "C", "D");
        // ${!G} is a literal, AWS::Region a pseudo parameter
        assertThat(graph.get("B")).containsExactlyInAnyOrder("E", "F");
        // Mapped is a variable of the Sub; its value names F
        assertThat(graph.get("C")).containsExactlyInAnyOrder("E", "F", "H");
        assertThat(graph.get("D")).containsExactly("F");
    }

    @Test
    void aDependsOnCycleAndASelfReferenceAreCycles() throws Exception {
        assertThat(DependencyCycles.find(ExpandedTemplate.MAPPER.readTree("""
                {"Resources": {"A": {"Type": "T", "DependsOn": "B"}, "B": {"Type": "T", "Properties": {"X": {"Ref": "A"}}}}}
                """))).extracting(DependencyCycles.Cycle::toString).containsExactly("A -> B -> A (conditions ignored)");
        assertThat(DependencyCycles.find(ExpandedTemplate.MAPPER.readTree("""
                {"Resources": {"A": {"Type": "T", "Properties": {"X": {"Fn::Sub": "${A.Arn}"}}}}}
                """))).extracting(DependencyCycles.Cycle::toString).containsExactly("A -> A (conditions ignored)");
    }

    @Test
    void aCycleThroughTheBranchNotTakenIsOnlyACycleWithConditionsIgnored() throws Exception {
        List<DependencyCycles.Cycle> cycles = DependencyCycles.find(ExpandedTemplate.MAPPER.readTree("""
                {"Conditions": {"On": {"Fn::Equals": ["a", "b"]}},
                 "Resources": {"A": {"Type": "T", "Properties": {"X": {"Fn::If": ["On", {"Ref": "B"}, {"Ref": "AWS::NoValue"}]}}},
                               "B": {"Type": "T", "Properties": {"X": {"Fn::If": ["On", "plain", {"Ref": "A"}]}}}}}
                """));
        assertThat(cycles).extracting(DependencyCycles.Cycle::toString).containsExactly("A -> B -> A (conditions ignored)");
    }
}
