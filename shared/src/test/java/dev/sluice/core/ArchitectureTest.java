package dev.sluice.core;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The domain core stays free of AWS, JSON libraries and adapters (STYLE.md: hexagonal, buckpal's rule). */
class ArchitectureTest {
    private static final JavaClasses CORE = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.sluice.core");

    @Test
    void theCoreWasImported() {
        assertThat(CORE.size()).isGreaterThan(20);
    }

    @Test
    void theCoreImportsNoAwsJsonOrAdapterClass() {
        noClasses().that().resideInAPackage("dev.sluice.core..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "software.amazon..", "com.amazonaws..", "com.fasterxml.jackson..", "dev.sluice.adapters..", "dev.sluice.functions..")
                .check(CORE);
    }
}
