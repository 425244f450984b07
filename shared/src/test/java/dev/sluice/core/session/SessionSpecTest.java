package dev.sluice.core.session;

import dev.sluice.core.request.RequestFields;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import dev.sluice.core.slots.ResourceSlots;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class SessionSpecTest {
    private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");

    private static Map<String, Object> minimal() {
        return new HashMap<>(Map.of("image", "python:3.12", "resource_slots", Map.of("cpu", 1, "mem", "1g")));
    }

    private static Map<String, Object> batch() {
        Map<String, Object> b = minimal();
        b.put("type", "batch");
        b.put("startup_command", "python run.py");
        return b;
    }

    private static Map<String, Object> with(Map<String, Object> body, String key, Object value) {
        body.put(key, value);
        return body;
    }

    private static Map<String, Object> with(String key, Object value) {
        return with(minimal(), key, value);
    }

    private static Map<String, Object> without(String key) {
        Map<String, Object> b = minimal();
        b.remove(key);
        return b;
    }

    private static Arguments refused(String why, Map<String, Object> body, String field) {
        return Arguments.of(why, body, field);
    }

    @Test
    void everyFieldOfAFullBodyIsRead() {
        Map<String, Object> body = new HashMap<>(Map.ofEntries(
                Map.entry("name", "train-7"), Map.entry("type", "batch"), Map.entry("image", "cr.example/torch:2.5"),
                Map.entry("resource_group", "gpu"), Map.entry("resource_slots", Map.of("cpu", 4, "mem", "16g", "cuda.device", 2)),
                Map.entry("startup_command", "  python train.py  "), Map.entry("starts_at", "2026-11-25T00:00:00Z"),
                Map.entry("batch_timeout", "2h"), Map.entry("dependencies", List.of("a-1", "b-2")), Map.entry("priority", 50),
                Map.entry("callback_url", "https://hooks.example/x"), Map.entry("cluster_mode", "multi-node"),
                Map.entry("cluster_size", 2), Map.entry("environment", Map.of("SEED", "1", "_X", "y")),
                Map.entry("mounts", List.of("data", "models")), Map.entry("tags", List.of("exp", "nightly"))));
        SessionSpec s = SessionSpec.parse(RequestFields.of(body), NOW);
        assertThat(s.name()).contains("train-7");
        assertThat(s.type()).isEqualTo(SessionType.BATCH);
        assertThat(s.image()).isEqualTo("cr.example/torch:2.5");
        assertThat(s.requestedResourceGroup()).contains("gpu");
        assertThat(s.requestedSlots()).isEqualTo(ResourceSlots.of(Map.of("cpu", new BigDecimal(4),
                "mem", new BigDecimal("17179869184"), "cuda.device", new BigDecimal(2))));
        assertThat(s.startupCommand()).as("surrounding blanks are stripped").contains("python train.py");
        assertThat(s.startsAt()).contains(Instant.parse("2026-11-25T00:00:00Z"));
        assertThat(s.batchTimeout()).contains(Duration.ofHours(2));
        assertThat(s.dependencies()).containsExactly("a-1", "b-2");
        assertThat(s.priority()).isEqualTo(50);
        assertThat(s.callbackUrl()).contains("https://hooks.example/x");
        assertThat(s.clusterMode()).isEqualTo(ClusterMode.MULTI_NODE);
        assertThat(s.clusterSize()).isEqualTo(2);
        assertThat(s.environment()).containsOnly(Map.entry("SEED", "1"), Map.entry("_X", "y"));
        assertThat(s.mounts()).containsExactly("data", "models");
        assertThat(s.tags()).containsExactly("exp", "nightly");
    }

    @Test
    void defaultsAreInteractivePriorityTenSingleNodeSizeOne() {
        SessionSpec s = SessionSpec.parse(RequestFields.of(minimal()), NOW);
        assertThat(s.type()).isEqualTo(SessionType.INTERACTIVE);
        assertThat(s.priority()).isEqualTo(10).isEqualTo(SessionSpec.DEFAULT_PRIORITY);
        assertThat(s.clusterMode()).isEqualTo(ClusterMode.SINGLE_NODE);
        assertThat(s.clusterSize()).isEqualTo(1);
        assertThat(s.name()).isEmpty();
        assertThat(s.requestedResourceGroup()).isEmpty();
        assertThat(s.startupCommand()).isEmpty();
        assertThat(s.startsAt()).isEmpty();
        assertThat(s.batchTimeout()).isEmpty();
        assertThat(s.callbackUrl()).isEmpty();
        assertThat(s.dependencies()).isEmpty();
        assertThat(s.environment()).isEmpty();
        assertThat(s.mounts()).isEmpty();
        assertThat(s.tags()).isEmpty();
    }

    @Test
    void anExplicitNullIsRefusedByName() {
        for (String field : java.util.List.of("priority", "type", "name", "resource_group")) {
            Map<String, Object> b = with(field, null);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> SessionSpec.parse(RequestFields.of(b), NOW))
                    .isInstanceOfSatisfying(dev.sluice.core.error.DomainException.class,
                            e -> assertThat(e.getMessage()).isEqualTo(field + " must not be null; leave the field out to keep its default."));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"interactive", "batch", "inference"})
    void everySessionTypeIsAccepted(String type) {
        Map<String, Object> b = with("type", type);
        b.put("startup_command", "run");
        assertThat(SessionSpec.parse(RequestFields.of(b), NOW).type().wireName()).isEqualTo(type);
    }

    @Test
    void priorityBoundsAreInclusiveAndAnyIntegerTypeIsRead() {
        assertThat(SessionSpec.parse(RequestFields.of(with("priority", 0)), NOW).priority()).isZero();
        assertThat(SessionSpec.parse(RequestFields.of(with("priority", 100)), NOW).priority()).isEqualTo(100);
        assertThat(SessionSpec.parse(RequestFields.of(with("priority", 42L)), NOW).priority()).isEqualTo(42);
        assertThat(SessionSpec.parse(RequestFields.of(with("priority", BigInteger.valueOf(7))), NOW).priority()).isEqualTo(7);
    }

    @ParameterizedTest
    @ValueSource(strings = {"30m", "600", "1h30m", "0"})
    void aRelativeStartsAtResolvesAgainstTheGivenNow(String relative) {
        Map<String, Object> b = with(batch(), "starts_at", relative);
        Duration expected = switch (relative) {
            case "30m" -> Duration.ofMinutes(30);
            case "600" -> Duration.ofSeconds(600);
            case "1h30m" -> Duration.ofMinutes(90);
            default -> Duration.ZERO;
        };
        assertThat(SessionSpec.parse(RequestFields.of(b), NOW).startsAt()).contains(NOW.plus(expected));
        Instant later = NOW.plusSeconds(3600);
        assertThat(SessionSpec.parse(RequestFields.of(b), later).startsAt()).contains(later.plus(expected));
    }

    @Test
    void anAbsoluteStartsAtKeepsItsOffset() {
        Map<String, Object> b = with(batch(), "starts_at", "2026-11-25T09:00:00+09:00");
        assertThat(SessionSpec.parse(RequestFields.of(b), NOW).startsAt()).contains(Instant.parse("2026-11-25T00:00:00Z"));
    }

    @Test
    void batchTimeoutTakesSecondsOrDurationText() {
        assertThat(SessionSpec.parse(RequestFields.of(with(batch(), "batch_timeout", 3600)), NOW).batchTimeout()).contains(Duration.ofHours(1));
        assertThat(SessionSpec.parse(RequestFields.of(with(batch(), "batch_timeout", "90s")), NOW).batchTimeout()).contains(Duration.ofSeconds(90));
    }

    @Test
    void anInteractiveSessionMayHaveAStartupCommand() {
        assertThat(SessionSpec.parse(RequestFields.of(with("startup_command", "jupyter lab")), NOW).startupCommand()).contains("jupyter lab");
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://hooks.example/x", "http://10.0.0.1:8080/cb?x=1", "HTTPS://Hooks.Example"})
    void httpAndHttpsCallbacksAreAccepted(String url) {
        assertThat(SessionSpec.parse(RequestFields.of(with("callback_url", url)), NOW).callbackUrl()).contains(url);
    }

    @Test
    void theRequestBodyIsNotModified() {
        Map<String, Object> b = batch();
        Map<String, Object> copy = new HashMap<>(b);
        SessionSpec.parse(RequestFields.of(b), NOW);
        assertThat(b).isEqualTo(copy);
    }

    @Test
    void theParsedListsAndMapsAreReadOnly() {
        SessionSpec s = SessionSpec.parse(RequestFields.of(with("tags", List.of("a"))), NOW);
        assertThatThrownBy(() -> s.tags().add("b")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> s.environment().put("A", "b")).isInstanceOf(UnsupportedOperationException.class);
    }

    static Stream<Arguments> badBodies() {
        Map<String, Object> nullImage = minimal();
        nullImage.put("image", null);
        return Stream.of(
                refused("missing image", without("image"), "image"),
                refused("null image", nullImage, "image"),
                refused("image not a string", with("image", 42), "image"),
                refused("image not a reference", with("image", "not an image!"), "image"),
                refused("unknown type", with("type", "gaming"), "type"),
                refused("type in the wrong case", with("type", "Batch"), "type"),
                refused("type not a string", with("type", 1), "type"),
                refused("unknown field (typo)", with("imgae", "python:3.12"), "imgae"),
                refused("unknown field (camel case)", with("resourceSlots", Map.of()), "resourceSlots"),
                refused("bad name", with("name", "-leading-dash"), "name"),
                refused("name too long", with("name", "n".repeat(65)), "name"),
                refused("priority as a string", with("priority", "10"), "priority"),
                refused("priority as a word", with("priority", "high"), "priority"),
                refused("priority fractional", with("priority", new BigDecimal("10.5")), "priority"),
                refused("priority as a boolean", with("priority", true), "priority"),
                refused("priority below 0", with("priority", -1), "priority"),
                refused("priority above 100", with("priority", 101), "priority"),
                refused("priority huge", with("priority", new BigInteger("100000000000000000000")), "priority"),
                refused("resource_slots as a list", with("resource_slots", List.of(1, 2)), "resource_slots"),
                refused("resource_slots as a string", with("resource_slots", "cpu=1"), "resource_slots"),
                refused("negative slot", with("resource_slots", Map.of("cpu", -1, "mem", "1g")), "resource_slots.cpu"),
                refused("unknown slot", with("resource_slots", Map.of("cpu", 1, "mem", "1g", "gpu", 1)), "resource_slots.gpu"),
                refused("fractional cuda.device", with("resource_slots", Map.of("cpu", 1, "mem", "1g", "cuda.device", 0.5)),
                        "resource_slots.cuda.device"),
                refused("slot not a number", with("resource_slots", Map.of("cpu", "lots", "mem", "1g")), "resource_slots.cpu"),
                refused("missing cpu", with("resource_slots", Map.of("mem", "1g")), "resource_slots"),
                refused("missing mem", with("resource_slots", Map.of("cpu", 1)), "resource_slots"),
                refused("zero cpu", with("resource_slots", Map.of("cpu", 0, "mem", "1g")), "resource_slots"),
                refused("no resource_slots at all", without("resource_slots"), "resource_slots"),
                refused("environment value a number", with("environment", Map.of("A", 1)), "environment.A"),
                refused("environment value a list", with("environment", Map.of("PATHS", List.of("a"))), "environment.PATHS"),
                refused("environment not an object", with("environment", List.of("A=1")), "environment"),
                refused("environment bad variable name", with("environment", Map.of("1BAD", "x")), "environment.1BAD"),
                refused("batch without startup_command", with("type", "batch"), "startup_command"),
                refused("batch with a blank startup_command", with(with("type", "batch"), "startup_command", "   "), "startup_command"),
                refused("startup_command not a string", with("startup_command", List.of("python", "x.py")), "startup_command"),
                refused("startup_command too long", with("startup_command", "x".repeat(8193)), "startup_command"),
                refused("starts_at on interactive", with("starts_at", "30m"), "starts_at"),
                refused("starts_at on inference", with(with("type", "inference"), "starts_at", "2026-11-25T00:00:00Z"), "starts_at"),
                refused("batch_timeout on interactive", with("batch_timeout", 60), "batch_timeout"),
                refused("batch_timeout on inference", with(with("type", "inference"), "batch_timeout", "1h"), "batch_timeout"),
                refused("starts_at not a time", with(batch(), "starts_at", "next tuesday"), "starts_at"),
                refused("starts_at without an offset", with(batch(), "starts_at", "2026-11-25T00:00:00"), "starts_at"),
                refused("starts_at a number", with(batch(), "starts_at", 1800), "starts_at"),
                refused("starts_at a negative duration", with(batch(), "starts_at", "-30m"), "starts_at"),
                refused("batch_timeout zero", with(batch(), "batch_timeout", "0"), "batch_timeout"),
                refused("batch_timeout not a duration", with(batch(), "batch_timeout", "soon"), "batch_timeout"),
                refused("batch_timeout fractional", with(batch(), "batch_timeout", new BigDecimal("1.5")), "batch_timeout"),
                refused("callback_url ftp", with("callback_url", "ftp://hooks.example/x"), "callback_url"),
                refused("callback_url no scheme", with("callback_url", "hooks.example/x"), "callback_url"),
                refused("callback_url not a URL", with("callback_url", "not a url"), "callback_url"),
                refused("callback_url without host", with("callback_url", "http:///x"), "callback_url"),
                refused("callback_url javascript", with("callback_url", "javascript:alert(1)"), "callback_url"),
                refused("unknown cluster_mode", with("cluster_mode", "multi"), "cluster_mode"),
                refused("cluster_size zero", with("cluster_size", 0), "cluster_size"),
                refused("cluster_size above 64", with("cluster_size", 65), "cluster_size"),
                refused("multi-node cluster_size above 50 (one placement transaction)",
                        with(with("cluster_mode", "multi-node"), "cluster_size", 51), "cluster_size"),
                refused("dependency not a session id", with("dependencies", List.of("a-1", "not an id")), "dependencies[1]"),
                refused("dependency not a string", with("dependencies", List.of(7)), "dependencies[0]"),
                refused("dependencies not a list", with("dependencies", "a-1"), "dependencies"),
                refused("too many dependencies", with("dependencies", IntStream.range(0, 65).mapToObj(i -> "d-" + i).toList()),
                        "dependencies"),
                refused("tag not a string", with("tags", List.of(1)), "tags[0]"),
                refused("too many tags", with("tags", IntStream.range(0, 33).mapToObj(i -> "t" + i).toList()), "tags"),
                refused("mounts not a list", with("mounts", "data"), "mounts"),
                refused("mounts whose environment variables collide (x.y, x-y)", with("mounts", List.of("x.y", "x-y")), "mounts[1]"),
                refused("mounts whose variables collide by case", with("mounts", List.of("data", "a", "Data:/d")), "mounts[2]"),
                refused("mounts whose variables collide ({name, path})", with("mounts", List.of("a_b", Map.of("name", "a.b", "path", "/x"))),
                        "mounts[1]"));
    }

    @Test
    void aMountsEnvironmentVariableIsNamedInTheRefusal() {
        assertThatThrownBy(() -> SessionSpec.parse(RequestFields.of(with("mounts", List.of("x.y", "x-y"))), NOW))
                .isInstanceOf(DomainException.class).hasMessageContaining("SLUICE_MOUNT_X_Y").hasMessageContaining("'x.y'")
                .hasMessageContaining("'x-y'");
        assertThat(SessionSpec.mountVariable("coll.parts-2")).isEqualTo("SLUICE_MOUNT_COLL_PARTS_2");
        assertThat(SessionSpec.parse(RequestFields.of(with("mounts", List.of("x.y", "xy", "x.y.z"))), NOW).mounts()).hasSize(3);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badBodies")
    void aBadBodyIsRefusedNamingTheField(String why, Map<String, Object> body, String field) {
        assertThatThrownBy(() -> SessionSpec.parse(RequestFields.of(body), NOW))
                .isInstanceOfSatisfying(DomainException.class, refusal(field));
    }

    private static Consumer<DomainException> refusal(String field) {
        return e -> {
            assertThat(e.field()).hasValue(field);
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_FIELD);
            dev.sluice.core.error.Sentences.assertReadsAsSentence(e);
        };
    }

    @Test
    void anUnknownFieldIsNamedInTheMessageWithTheKnownOnes() {
        assertThatThrownBy(() -> SessionSpec.parse(RequestFields.of(with("imgae", "x")), NOW))
                .isInstanceOf(DomainException.class)
                .hasMessageContaining("image").hasMessageContaining("resource_slots");
    }

    @Test
    void limitsAreInclusive() {
        assertThat(SessionSpec.parse(RequestFields.of(with("cluster_size", 64)), NOW).clusterSize()).isEqualTo(64);
        assertThat(SessionSpec.parse(RequestFields.of(with(with("cluster_mode", "multi-node"), "cluster_size", 50)), NOW).clusterSize()).isEqualTo(50);
        assertThat(SessionSpec.parse(RequestFields.of(with("name", "n".repeat(64))), NOW).name()).contains("n".repeat(64));
        assertThat(SessionSpec.parse(RequestFields.of(with("dependencies", IntStream.range(0, 64).mapToObj(i -> "d-" + i).toList())), NOW)
                .dependencies()).hasSize(64);
        assertThat(SessionSpec.parse(RequestFields.of(with("startup_command", "x".repeat(8192))), NOW).startupCommand()).isPresent();
    }
}
