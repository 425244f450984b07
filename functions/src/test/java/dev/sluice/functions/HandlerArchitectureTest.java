package dev.sluice.functions;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import dev.sluice.adapters.ControlPlane;
import dev.sluice.adapters.FolderPlane;
import dev.sluice.adapters.Wiring;
import dev.sluice.adapters.folders.CloneStateJson;
import dev.sluice.adapters.folders.TaskView;
import dev.sluice.adapters.json.Json;
import dev.sluice.adapters.webhook.WebhookCodec;
import dev.sluice.adapters.webhook.WebhookPlane;
import dev.sluice.functions.api.AgentWorkApi;
import dev.sluice.functions.api.SessionsApi;
import dev.sluice.functions.http.RequestFrame;
import dev.sluice.functions.scheduler.SchedulerTick;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The rules of the handlers (issue #15 items 4 and 7): a handler depends on the use cases, the request frame and the
 * wiring root, not on adapters; and no production class below the wiring root reads the system clock or makes ids. Each rule is
 * run on the real classes, and shown to find the real offender when the class that is allowed is not.
 */
class HandlerArchitectureTest {
    /** Every production class of the functions and of the shared module (core and adapters). */
    private static final JavaClasses PRODUCTION = new ClassFileImporter()
            .withImportOption(new ImportOption.DoNotIncludeTests())
            .importPackages("dev.sluice.functions", "dev.sluice.core", "dev.sluice.adapters");

    /** The wiring root and the bundles of use cases it hands to handlers. */
    private static final Set<Class<?>> ROOT = Set.of(Wiring.class, ControlPlane.class, FolderPlane.class, WebhookPlane.class);
    /** The wire codecs of the views (JSON, the clone state's paths, a queued delivery, a task's view). */
    private static final Set<Class<?>> CODECS = Set.of(Json.class, CloneStateJson.class, WebhookCodec.class, TaskView.class);
    /** The request frame: the HTTP frame package, the agent's identity check, and SnapStart priming. */
    private static final Set<String> FRAME = Set.of(RequestFrame.class.getPackageName());
    private static final Set<String> FRAME_CLASSES = Set.of("dev.sluice.functions.api.AgentIdentity", Priming.class.getName());

    /**
     * Handlers (every class of {@code dev.sluice.functions} outside {@code frame}) depend on no adapter class but the
     * ones {@code allowed}.
     */
    static ArchRule handlersUseNoAdapters(Set<Class<?>> allowed, Set<String> framePackages, Set<String> frameClasses) {
        DescribedPredicate<JavaClass> handlers = DescribedPredicate.describe("are handlers (outside the request frame)",
                c -> c.getPackageName().startsWith("dev.sluice.functions") && !framePackages.contains(c.getPackageName())
                        && !frameClasses.contains(c.getName()) && !frameClasses.contains(outermost(c).getName()));
        DescribedPredicate<JavaClass> adapters = DescribedPredicate.describe("are adapters other than " + names(allowed),
                c -> c.getPackageName().startsWith("dev.sluice.adapters")
                        && allowed.stream().noneMatch(a -> c.isEquivalentTo(a) || outermost(c).isEquivalentTo(a)));
        return noClasses().that(handlers).should().dependOnClassesThat(adapters);
    }

    /**
     * No class outside {@code allowed} reads the system clock ({@code Clock.systemUTC()}, {@code Instant.now()}) or
     * makes its own ids ({@code UUID.randomUUID()}): both come from the wiring root.
     */
    static ArchRule noSystemClockBelow(Set<Class<?>> allowed) {
        return noClasses().that(DescribedPredicate.describe("are below the wiring root",
                        c -> allowed.stream().noneMatch(a -> c.isEquivalentTo(a) || outermost(c).isEquivalentTo(a))))
                .should().callMethod(Clock.class, "systemUTC")
                .orShould().callMethod(Clock.class, "systemDefaultZone")
                .orShould().callMethod(Instant.class, "now")
                .orShould().callMethod(java.util.UUID.class, "randomUUID");
    }

    @Test
    void theImportHoldsTheHandlersTheFrameAndTheRoot() {
        assertThat(PRODUCTION.contain(SessionsApi.class)).isTrue();
        assertThat(PRODUCTION.contain(AgentWorkApi.class)).isTrue();
        assertThat(PRODUCTION.contain(SchedulerTick.class)).isTrue();
        assertThat(PRODUCTION.contain(RequestFrame.class)).isTrue();
        assertThat(PRODUCTION.contain(Wiring.class)).isTrue();
        assertThat(PRODUCTION.contain(HandlerArchitectureTest.class)).as("tests are left out").isFalse();
    }

    @Test
    void handlersDependOnUseCasesTheFrameAndTheRootNotOnAdapters() {
        handlersUseNoAdapters(union(ROOT, CODECS), FRAME, FRAME_CLASSES).check(PRODUCTION);
    }

    @Test
    void theHandlerRuleFindsTheFrameWhenTheFrameIsNotSetApart() {
        // The real rule with the frame counted as a handler: the frame keeps idempotent answers in DynamoDB and the
        // agent identity checks tokens, so both must be reported, and only the frame's classes.
        EvaluationResult result = handlersUseNoAdapters(union(ROOT, CODECS), Set.of(), Set.of()).evaluate(PRODUCTION);
        assertThat(offenders(result)).contains(RequestFrame.class.getName(), "dev.sluice.functions.api.AgentIdentity", Priming.class.getName())
                .allMatch(c -> c.startsWith("dev.sluice.functions.http.") || FRAME_CLASSES.contains(c));
    }

    @Test
    void theHandlerRuleFindsEveryHandlerWhenNotEvenTheRootIsAllowed() {
        EvaluationResult result = handlersUseNoAdapters(Set.of(), FRAME, FRAME_CLASSES).evaluate(PRODUCTION);
        assertThat(offenders(result)).contains(SessionsApi.class.getName(), AgentWorkApi.class.getName(), SchedulerTick.class.getName());
    }

    @Test
    void nothingBelowTheWiringRootReadsTheSystemClockOrMakesIds() {
        noSystemClockBelow(Set.of(Wiring.class)).check(PRODUCTION);
    }

    @Test
    void theClockRuleFindsTheRootItselfWhenNothingIsAllowed() {
        EvaluationResult result = noSystemClockBelow(Set.of()).evaluate(PRODUCTION);
        assertThat(offenders(result)).as("the one place that makes the clock and the id generator").containsExactly(Wiring.class.getName());
    }

    /** The classes (outermost) where a rule's violations are, as its report names them: the first {@code <...>} of each line. */
    private static Set<String> offenders(EvaluationResult result) {
        return result.getFailureReport().getDetails().stream().map(line -> {
            String origin = line.substring(line.indexOf('<') + 1, line.indexOf('>'));
            int call = origin.indexOf('(');
            String member = call < 0 ? origin : origin.substring(0, origin.lastIndexOf('.', call));
            String type = PRODUCTION.stream().anyMatch(c -> c.getName().equals(member))
                    ? member : member.substring(0, member.lastIndexOf('.')); // a field: Class.field
            int nested = type.indexOf('$');
            return nested < 0 ? type : type.substring(0, nested);
        }).collect(Collectors.toSet());
    }

    private static JavaClass outermost(JavaClass c) {
        JavaClass at = c;
        while (at.getEnclosingClass().isPresent()) {
            at = at.getEnclosingClass().get();
        }
        return at;
    }

    private static Set<Class<?>> union(Set<Class<?>> a, Set<Class<?>> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).collect(Collectors.toSet());
    }

    private static String names(Set<Class<?>> classes) {
        return classes.stream().map(Class::getSimpleName).sorted().collect(Collectors.joining(", "));
    }
}
