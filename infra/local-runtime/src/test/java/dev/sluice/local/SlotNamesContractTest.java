package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.sluice.agent.discovery.DeclaredSlots;
import dev.sluice.core.slots.ResourceSlots;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The list of known slots is {@link ResourceSlots#KNOWN}. The agent and the CLI ship without the control plane's
 * module, so they keep their own copies; this test holds them (and the OpenAPI document's Slots schema) to the one list.
 */
class SlotNamesContractTest {

    @Test
    void theAgentDeclaresExactlyTheKnownSlotsWithTheSameWholeNumberRule() {
        assertThat(DeclaredSlots.KNOWN).containsExactlyElementsOf(ResourceSlots.KNOWN);
        for (String slot : ResourceSlots.KNOWN) {
            if (ResourceSlots.fixedPointScale(slot) == 0) {
                assertThatThrownBy(() -> DeclaredSlots.amount(slot, "1.5")).as(slot).hasMessageContaining("whole number");
            } else {
                assertThatCode(() -> DeclaredSlots.amount(slot, "1.5")).as(slot).doesNotThrowAnyException();
            }
        }
    }

    @Test
    void theOpenApiSlotsSchemaNamesExactlyTheKnownSlots() throws Exception {
        JsonNode doc = new YAMLMapper().readTree(LocalStack.ROOT.resolve("infra/openapi/sluice.yaml").toFile());
        List<String> names = new ArrayList<>();
        doc.path("components").path("schemas").path("Slots").path("properties").fieldNames().forEachRemaining(names::add);
        assertThat(names).containsExactlyInAnyOrderElementsOf(ResourceSlots.KNOWN);
    }

    @Test
    void theCliRanksEveryKnownSlotAheadOfAnUnknownOne() throws Exception {
        Method format = Class.forName("dev.sluice.cli.SlotText").getDeclaredMethod("format", JsonNode.class);
        format.setAccessible(true);
        ObjectNode slots = new ObjectMapper().createObjectNode();
        // "a.unknown" sorts first by name: it comes last only if the CLI ranks every known slot.
        slots.put("a.unknown", "1");
        ResourceSlots.KNOWN.forEach(s -> slots.put(s, "1"));
        String line = (String) format.invoke(null, slots);
        assertThat(line.split(" ")).hasSize(ResourceSlots.KNOWN.size() + 1);
        assertThat(line).endsWith("a.unknown=1");
        ResourceSlots.KNOWN.forEach(s -> assertThat(line).contains(s + "="));
    }
}
