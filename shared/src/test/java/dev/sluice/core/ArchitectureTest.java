package dev.sluice.core;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import dev.sluice.core.group.SchedulerOptions;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionSpec;
import dev.sluice.core.slots.ResourceSlots;
import org.junit.jupiter.api.Test;

/** The domain core stays free of AWS, JSON libraries and adapters (hexagonal: the core knows no infrastructure). */
class ArchitectureTest {
    private static final String[] FORBIDDEN = {
            "software.amazon..", "com.amazonaws..", "com.fasterxml.jackson..", "dev.sluice.adapters..", "dev.sluice.functions.."};

    private static final JavaClasses CORE = new ClassFileImporter()
            .withImportOption(new ImportOption.DoNotIncludeTests())
            .importPackages("dev.sluice.core");

    private static ArchRule coreStaysPure() {
        return noClasses().that().resideInAPackage("dev.sluice.core..")
                .should().dependOnClassesThat().resideInAnyPackage(FORBIDDEN);
    }

    @Test
    void theImportFoundTheCoreSoTheRuleCannotPassVacuously() {
        assertThat(CORE.size()).isGreaterThanOrEqualTo(10);
        assertThat(CORE.contain(Session.class)).isTrue();
        assertThat(CORE.contain(SessionSpec.class)).isTrue();
        assertThat(CORE.contain(SchedulerOptions.class)).isTrue();
        assertThat(CORE.contain(ResourceSlots.class)).isTrue();
        assertThat(CORE.stream().map(JavaClass::getPackageName))
                .as("only production classes of the core were imported")
                .allMatch(p -> p.startsWith("dev.sluice.core"));
        assertThat(CORE.contain(ArchitectureTest.class)).as("tests are left out").isFalse();
    }

    @Test
    void theCoreDependsOnNoAwsJsonOrAdapterClass() {
        coreStaysPure().check(CORE);
    }

    @Test
    void theSameRuleCatchesAViolationWhenThereIsOne() {
        JavaClasses adapters = new ClassFileImporter()
                .withImportOption(new ImportOption.DoNotIncludeTests())
                .importPackages("dev.sluice.adapters");
        ArchRule adaptersAsIfCore = noClasses().that().resideInAPackage("dev.sluice.adapters..")
                .should().dependOnClassesThat().resideInAnyPackage("software.amazon..", "com.fasterxml.jackson..");
        assertThat(adapters.size()).isPositive();
        assertThat(adaptersAsIfCore.evaluate(adapters).hasViolation())
                .as("adapters use AWS and Jackson, so the rule must report them")
                .isTrue();
    }
}
