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

/**
 * The domain core stays free of AWS, JSON libraries and adapters (hexagonal: the core knows no infrastructure); and a
 * stored session changes only through {@code SessionStore.apply} of a core-computed {@code SessionChange}.
 */
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

    /** Every production class of this module: the core and the adapters. */
    private static final JavaClasses ALL = new ClassFileImporter()
            .withImportOption(new ImportOption.DoNotIncludeTests())
            .importPackages("dev.sluice");

    /** The calls that write DynamoDB items, through the low-level client, the enhanced client or an enhanced table. */
    private static final java.util.Set<String> WRITES = java.util.Set.of(
            "putItem", "updateItem", "deleteItem", "transactWriteItems", "batchWriteItem");

    /**
     * Whoever knows the shape of the session item (its mapping, its pointer items, the agent side of a reservation)
     * may write DynamoDB only if it is {@code allowed}: only the store adapter turns a change into a write.
     */
    static ArchRule onlyTheStoreWritesSessions(Class<?> allowed) {
        com.tngtech.archunit.base.DescribedPredicate<JavaClass> knowsSessionItems =
                com.tngtech.archunit.base.DescribedPredicate.describe("know the session item", c -> !c.isEquivalentTo(allowed)
                        && c.getPackageName().equals("dev.sluice.adapters.dynamodb")
                        && (c.getSimpleName().equals("SessionItem") || c.getSimpleName().equals("KernelPointers")
                            || c.getSimpleName().equals("AgentReservations") || c.getSimpleName().equals("SessionCursor")
                            || c.getDirectDependenciesFromSelf().stream().anyMatch(d -> d.getTargetClass().getSimpleName().equals("SessionItem")
                                && d.getTargetClass().getPackageName().equals("dev.sluice.adapters.dynamodb"))));
        com.tngtech.archunit.base.DescribedPredicate<com.tngtech.archunit.core.domain.JavaMethodCall> aDynamoWrite =
                com.tngtech.archunit.base.DescribedPredicate.describe("a DynamoDB write (PutItem, UpdateItem, DeleteItem, "
                        + "TransactWriteItems, BatchWriteItem)", call -> WRITES.contains(call.getName())
                        && call.getTargetOwner().getPackageName().startsWith("software.amazon.awssdk"));
        return noClasses().that(knowsSessionItems).should().callMethodWhere(aDynamoWrite)
                .because("a session is written only by SessionStore.apply (issue #15)");
    }

    @Test
    void onlyTheSessionStoreAdapterWritesSessionItems() {
        assertThat(ALL.contain(dev.sluice.adapters.dynamodb.DynamoSessionStore.class)).isTrue();
        assertThat(ALL.contain(dev.sluice.adapters.dynamodb.DynamoAgentStore.class)).isTrue();
        onlyTheStoreWritesSessions(dev.sluice.adapters.dynamodb.DynamoSessionStore.class).check(ALL);
    }

    @Test
    void theSessionRuleCatchesTheStoreItselfWhenItIsNotTheAllowedClass() {
        // The real rule, with another class allowed: the store's own writes must then be reported.
        var result = onlyTheStoreWritesSessions(dev.sluice.adapters.dynamodb.DynamoAgentStore.class).evaluate(ALL);
        assertThat(result.hasViolation()).isTrue();
        assertThat(result.getFailureReport().getDetails())
                .anyMatch(d -> d.contains("DynamoSessionStore") && d.contains("transactWriteItems"))
                .anyMatch(d -> d.contains("DynamoSessionStore") && d.contains("putItem"));
    }

    @Test
    void aSessionChangesOnlyThroughApplyTheOldWritePathsAreGone() {
        java.util.Set<String> writes = new java.util.TreeSet<>();
        for (java.lang.reflect.Method m : dev.sluice.core.port.SessionStore.class.getMethods()) {
            if (java.util.Arrays.stream(m.getParameterTypes()).anyMatch(t -> t == Session.class || t == dev.sluice.core.session.SessionChange.class
                    || t == dev.sluice.core.session.SessionBatch.class)) {
                writes.add(m.getName());
            }
        }
        // create stores a new session; apply is the one change of a stored one, applyAll the same changes batched in
        // one write; sessionsAhead and writeBytes (what a change weighs against a batch's size limit) only read.
        assertThat(writes).containsExactlyInAnyOrder("create", "apply", "applyAll", "sessionsAhead", "writeBytes");
        assertThat(CORE.stream().map(JavaClass::getSimpleName)).doesNotContain("PlacementWriter");
        assertThat(ALL.stream().map(JavaClass::getSimpleName)).doesNotContain("DynamoPlacements");
    }

    /**
     * The static fields of {@code classes} (outside {@code allowed}) whose value {@code matches}, as
     * {@code SimpleName.FIELD}. Reading a field initialises its class, so only fields of the types {@code types} are read.
     */
    static java.util.List<String> staticFieldsHolding(JavaClasses classes, java.util.Set<Class<?>> types,
                                                      java.util.function.Predicate<Object> matches, java.util.Set<Class<?>> allowed) {
        java.util.List<String> found = new java.util.ArrayList<>();
        for (JavaClass c : classes) {
            Class<?> type = c.reflect();
            if (allowed.contains(type)) {
                continue;
            }
            for (java.lang.reflect.Field f : type.getDeclaredFields()) {
                if (!java.lang.reflect.Modifier.isStatic(f.getModifiers()) || types.stream().noneMatch(t -> t.isAssignableFrom(f.getType()))) {
                    continue;
                }
                try {
                    f.setAccessible(true);
                    if (matches.test(f.get(null))) {
                        found.add(type.getSimpleName() + "." + f.getName());
                    }
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return found;
    }

    private static final java.util.Set<Class<?>> LISTS = java.util.Set.of(java.util.Collection.class, String[].class);

    /** A collection or array that names resource slots (it holds {@code cuda.device} or {@code cpu} and {@code mem}). */
    private static boolean namesSlots(Object value) {
        java.util.Collection<?> c = value instanceof String[] a ? java.util.Arrays.asList(a)
                : value instanceof java.util.Collection<?> coll ? coll : java.util.List.of();
        return c.contains(ResourceSlots.CUDA_DEVICE) || c.contains(ResourceSlots.CPU) && c.contains(ResourceSlots.MEM);
    }

    @Test
    void onlyResourceSlotsKeepsAListOfSlotNames() {
        assertThat(staticFieldsHolding(ALL, LISTS, ArchitectureTest::namesSlots, java.util.Set.of(ResourceSlots.class)))
                .as("slot names are listed once, in ResourceSlots.KNOWN (issue #15)").isEmpty();
        assertThat(ALL.stream().map(JavaClass::getSimpleName)).as("the planner's fixed-point form is ResourceSlots'").doesNotContain("SlotVector");
    }

    @Test
    void theSlotListRuleFindsTheOneListWhenNothingIsAllowed() {
        assertThat(staticFieldsHolding(ALL, LISTS, ArchitectureTest::namesSlots, java.util.Set.of()))
                .contains("ResourceSlots.KNOWN");
    }

    private static boolean isSessionIdPattern(Object value) {
        return value instanceof java.util.regex.Pattern p && p.pattern().equals(dev.sluice.core.session.SessionId.PATTERN.pattern());
    }

    @Test
    void theSessionIdPatternIsDefinedOnce() {
        // A task id has the same shape but is another id: TaskService keeps its own pattern, named for what it checks.
        assertThat(staticFieldsHolding(ALL, java.util.Set.of(java.util.regex.Pattern.class), ArchitectureTest::isSessionIdPattern,
                java.util.Set.of(dev.sluice.core.session.SessionId.class)))
                .as("session ids are checked with SessionId (issue #15)").containsExactly("TaskService.TASK_ID");
        assertThat(staticFieldsHolding(ALL, java.util.Set.of(java.util.regex.Pattern.class), ArchitectureTest::isSessionIdPattern,
                java.util.Set.of())).as("the rule sees the one definition when it is not allowed").contains("SessionId.PATTERN");
    }

    @Test
    void theSessionIdRegexLiteralAppearsOnceInTheSourcesOfEveryModule() throws java.io.IOException {
        String literal = dev.sluice.core.session.SessionId.PATTERN.pattern();
        java.nio.file.Path root = java.nio.file.Path.of("..").toAbsolutePath().normalize();
        java.util.List<String> holders = new java.util.ArrayList<>();
        for (String module : java.util.List.of("shared", "functions", "agent", "cli")) {
            java.nio.file.Path sources = root.resolve(module).resolve("src/main/java");
            assertThat(sources).as(module + " sources").isDirectory();
            try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(sources)) {
                for (java.nio.file.Path f : files.filter(x -> x.toString().endsWith(".java")).toList()) {
                    if (java.nio.file.Files.readString(f).contains(literal)) {
                        holders.add(f.getFileName().toString());
                    }
                }
            }
        }
        assertThat(holders).as("files whose source holds " + literal).containsExactlyInAnyOrder("SessionId.java", "TaskService.java");
    }

    /**
     * No class of {@code layer} throws a domain validation error (the 422 of {@code DomainException.invalid},
     * {@code invalidBecause} or {@code malformed}): an adapter reports what it found (e.g. {@code Page.UnknownCursor})
     * and the core decides the answer (issue #15 item 7).
     */
    static ArchRule throwsNoValidationErrors(String layer) {
        Class<?> e = dev.sluice.core.error.DomainException.class;
        return noClasses().that().resideInAPackage(layer)
                .should().callMethod(e, "invalid", String.class, String.class)
                .orShould().callMethod(e, "invalidBecause", String.class, String.class)
                .orShould().callMethod(e, "malformed", String.class, String.class);
    }

    @Test
    void adaptersThrowNoDomainValidationErrors() {
        throwsNoValidationErrors("dev.sluice.adapters..").check(ALL);
    }

    @Test
    void theValidationRuleFindsTheCoreWhereTheRefusalsAreMade() {
        // The real rule, pointed at the use cases: the session listing's cursor refusal (moved there from the store
        // adapter) and the other refusals of the core must be reported, so the rule is not blind to the calls it forbids.
        com.tngtech.archunit.lang.EvaluationResult result = throwsNoValidationErrors("dev.sluice.core.usecase..").evaluate(ALL);
        assertThat(result.hasViolation()).isTrue();
        assertThat(result.getFailureReport().getDetails())
                .anyMatch(l -> l.startsWith("Method <" + dev.sluice.core.usecase.SessionService.class.getName() + ".list(")
                        && l.contains("DomainException.invalid("));
    }
}
