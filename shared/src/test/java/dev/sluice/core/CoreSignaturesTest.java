package dev.sluice.core;


import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.codeUnits;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Typed at the edge, typed in the core (issue #15 item 3 and 7): no public method or constructor of the core takes or
 * returns {@code Map<String, Object>} (also inside another type: {@code List<Map<String, Object>>},
 * {@code Optional<Map<String, Object>>}). Requests are parsed into command records at the handler edge, use cases
 * return domain values, and the JSON shapes (views) live in {@code functions/}.
 */
class CoreSignaturesTest {
    private static final JavaClasses CORE = new ClassFileImporter()
            .withImportOption(new ImportOption.DoNotIncludeTests())
            .importPackages("dev.sluice.core");

    /**
     * What is left, as {@code SimpleClassName.method} ({@code <init>} for a constructor), each with its reason: the
     * door a decoded request body enters the core by. What is open JSON by contract (status
     * data, task results, event patterns, webhook payloads) is held as a core {@code JsonObject}, not a raw map. A
     * name here that no longer matches fails {@link #theAllowListHasNoStaleNames()}.
     */
    static final Map<String, String> ALLOWED = Map.ofEntries(
            Map.entry("RequestFields.of", "the JSON-node type itself: the one door a decoded JSON body enters the core by"),
            Map.entry("RequestFields.raw", "the JSON-node type itself: the one door a decoded JSON body enters the core by"));

    static ArchRule noMapStringObjectInPublicCoreSignatures(Set<String> allowed) {
        ArchCondition<JavaCodeUnit> typed = new ArchCondition<>("neither take nor return Map<String, Object>") {
            @Override
            public void check(JavaCodeUnit unit, ConditionEvents events) {
                String name = unit.getOwner().getSimpleName() + "." + unit.getName();
                if (allowed.contains(name)) {
                    return;
                }
                List<String> where = mapsIn(unit);
                if (!where.isEmpty()) {
                    events.add(SimpleConditionEvent.violated(unit, name + " has Map<String, Object> in " + where
                            + " (" + unit.getFullName() + ")"));
                }
            }
        };
        return codeUnits().that().areDeclaredInClassesThat().resideInAPackage("dev.sluice.core..")
                .and().arePublic()
                .and().areDeclaredInClassesThat().arePublic()
                .should(typed)
                .because("the core is typed: commands in, domain values out, JSON views at the edge (issue #15)");
    }

    /** Where {@code unit} has a {@code Map<String, Object>}: "return" and/or "parameter N". */
    static List<String> mapsIn(JavaCodeUnit unit) {
        List<String> where = new ArrayList<>();
        if (unit.getModifiers().contains(JavaModifier.SYNTHETIC) || unit.getModifiers().contains(JavaModifier.BRIDGE)) {
            return where;
        }
        Type[] parameters;
        Type returned = void.class;
        Object member = unit.reflect();
        if (member instanceof Method m) {
            parameters = m.getGenericParameterTypes();
            returned = m.getGenericReturnType();
        } else if (member instanceof Constructor<?> c) {
            parameters = c.getGenericParameterTypes();
        } else {
            return where;
        }
        if (holdsMapStringObject(returned)) {
            where.add("return");
        }
        for (int i = 0; i < parameters.length; i++) {
            if (holdsMapStringObject(parameters[i])) {
                where.add("parameter " + (i + 1));
            }
        }
        return where;
    }

    static boolean holdsMapStringObject(Type type) {
        if (type instanceof ParameterizedType p) {
            Type[] args = p.getActualTypeArguments();
            if (p.getRawType() instanceof Class<?> raw && Map.class.isAssignableFrom(raw) && args.length == 2
                    && args[0] == String.class && (args[1] == Object.class || args[1] instanceof WildcardType)) {
                return true;
            }
            return Arrays.stream(args).anyMatch(CoreSignaturesTest::holdsMapStringObject);
        }
        if (type instanceof WildcardType w) {
            return Arrays.stream(w.getUpperBounds()).anyMatch(CoreSignaturesTest::holdsMapStringObject);
        }
        return false;
    }

    @Test
    void noPublicCoreSignatureTakesOrReturnsAMapOfStringToObject() {
        assertThat(CORE.size()).isGreaterThanOrEqualTo(10);
        noMapStringObjectInPublicCoreSignatures(ALLOWED.keySet()).check(CORE);
    }

    @Test
    void theSameRuleWithAnEmptyAllowListFindsTheRealOnes() {
        var result = noMapStringObjectInPublicCoreSignatures(Set.of()).evaluate(CORE);
        assertThat(result.hasViolation()).isTrue();
        assertThat(result.getFailureReport().getDetails())
                .as("RequestFields.of(Map<String, Object>) is the one real door; the rule must see it")
                .anyMatch(d -> d.contains("RequestFields.of has Map<String, Object> in [parameter 1]"));
    }

    @Test
    void theAllowListHasNoStaleNames() {
        List<String> offenders = new ArrayList<>();
        CORE.stream().filter(c -> c.getModifiers().contains(JavaModifier.PUBLIC))
                .flatMap(c -> c.getCodeUnits().stream())
                .filter(u -> u.getModifiers().contains(JavaModifier.PUBLIC) && !mapsIn(u).isEmpty())
                .forEach(u -> offenders.add(u.getOwner().getSimpleName() + "." + u.getName()));
        assertThat(offenders).as("every allowed name is still a real one (remove it once converted)")
                .containsAll(ALLOWED.keySet());
    }

    @Test
    void theTypeCheckSeesMapsNestedInOtherTypes() throws NoSuchMethodException {
        class Probe {
            public List<Map<String, Object>> nested() {
                return List.of();
            }

            public Map<String, String> strings() {
                return Map.of();
            }

            public Map<String, ?> wildcard() {
                return Map.of();
            }
        }
        assertThat(holdsMapStringObject(Probe.class.getMethod("nested").getGenericReturnType())).isTrue();
        assertThat(holdsMapStringObject(Probe.class.getMethod("wildcard").getGenericReturnType())).isTrue();
        assertThat(holdsMapStringObject(Probe.class.getMethod("strings").getGenericReturnType())).isFalse();
    }
}
