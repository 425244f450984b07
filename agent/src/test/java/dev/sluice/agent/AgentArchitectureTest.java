package dev.sluice.agent;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.fields;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaFieldAccess;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import dev.sluice.agent.archfixture.Fixtures;
import dev.sluice.agent.protocol.HeartbeatAnswer;
import dev.sluice.agent.protocol.HeartbeatRequest;
import org.junit.jupiter.api.Test;

/**
 * The agent's shape: a ledger entry changes only through its own methods (no field of it is visible, none is written
 * from outside), and the protocol classes are data that know nothing of the runtime, the ledger or the loop. Each rule
 * is also run on fixtures that break it, so it is shown to catch what it forbids.
 */
class AgentArchitectureTest {
    private static final JavaClasses AGENT = new ClassFileImporter()
            .withImportOption(new ImportOption.DoNotIncludeTests())
            .importPackages("dev.sluice.agent", "dev.sluice.protocol");

    private static final JavaClasses FIXTURES = new ClassFileImporter().importPackages("dev.sluice.agent.archfixture");

    /** The fields of {@code owner} (its own, not its constants) are private: nothing outside reads or sets its state. */
    static ArchRule fieldsArePrivate(Class<?> owner) {
        return fields().that().areDeclaredIn(owner).and().areNotStatic().should().bePrivate()
                .because("a ledger entry's state changes only through its own (checked) methods");
    }

    /** No class but {@code owner} writes a field of {@code owner}. */
    static ArchRule onlyItselfWritesItsFields(Class<?> owner) {
        DescribedPredicate<JavaFieldAccess> intoOwner = DescribedPredicate.describe("a field of " + owner.getSimpleName(),
                a -> a.getTargetOwner().isEquivalentTo(owner));
        return noClasses().that().doNotBelongToAnyOf(owner).should().setFieldWhere(intoOwner)
                .because("a ledger entry's state changes only through its own (checked) methods");
    }

    /** The protocol classes depend on the JDK, JSON and the shared wire shapes only. */
    static ArchRule protocolIsData(String protocolPackage) {
        return classes().that().resideInAPackage(protocolPackage)
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "com.fasterxml.jackson..", "dev.sluice.protocol..",
                        protocolPackage)
                .because("the protocol is the wire's shape, not the runtime's, the ledger's or the loop's");
    }

    @Test
    void theImportFoundTheClassesTheRulesAreAbout() {
        assertThat(AGENT.contain(LedgerEntry.class)).isTrue();
        assertThat(AGENT.contain(AgentLoop.class)).isTrue();
        assertThat(AGENT.contain(HeartbeatRequest.class)).isTrue();
        assertThat(AGENT.contain(HeartbeatAnswer.class)).isTrue();
        assertThat(AGENT.contain(AgentArchitectureTest.class)).as("tests are left out").isFalse();
    }

    @Test
    void aLedgerEntryChangesOnlyThroughItsOwnMethods() {
        fieldsArePrivate(LedgerEntry.class).check(AGENT);
        onlyItselfWritesItsFields(LedgerEntry.class).check(AGENT);
    }

    @Test
    void theProtocolClassesDoNotDependOnTheRuntimeClasses() {
        protocolIsData("dev.sluice.agent.protocol..").check(AGENT);
        protocolIsData("dev.sluice.protocol..").check(AGENT);
    }

    @Test
    void theSameRulesCatchAViolationWhenThereIsOne() {
        assertThat(fieldsArePrivate(Fixtures.OpenEntry.class).evaluate(FIXTURES).hasViolation()).as("a public field").isTrue();
        assertThat(onlyItselfWritesItsFields(Fixtures.OpenEntry.class).evaluate(FIXTURES).hasViolation()).as("set from outside").isTrue();
        assertThat(protocolIsData("dev.sluice.agent.archfixture..").evaluate(FIXTURES).hasViolation()).as("knows the loop").isTrue();
    }
}
