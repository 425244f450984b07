package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SlotTextTest {

    private static JsonNode json(String text) throws Exception {
        return Json.MAPPER.readTree(text);
    }

    @Test
    void slotsReadCpuThenMemoryThenAccelerators() throws Exception {
        assertThat(SlotText.format(json("{\"cuda.device\":\"1\",\"mem\":\"8589934592\",\"cpu\":\"2\"}")))
                .isEqualTo("cpu=2 mem=8G cuda.device=1");
    }

    @ParameterizedTest
    @CsvSource({
        "8589934592, 8G",
        "17179869184, 16G",
        "1610612736, 1.5G",
        "536870912, 512M",
        "1073741824, 1G",
        "1099511627776, 1T",
        "2048, 2K",
        "1000, 1000",
        "0, 0"})
    void memoryInBytesReadsInBinaryUnits(String bytes, String expected) {
        assertThat(SlotText.bytes(bytes)).isEqualTo(expected);
    }

    @Test
    void decimalAmountsLoseTrailingZerosAndUnknownSlotsComeLast() throws Exception {
        assertThat(SlotText.format(json("{\"zz.custom\":\"3\",\"cuda.shares\":\"0.50\",\"cpu\":\"4.0\",\"mem\":1073741824}")))
                .isEqualTo("cpu=4 mem=1G cuda.shares=0.5 zz.custom=3");
    }

    @Test
    void noSlotsReadAsADash() throws Exception {
        assertThat(SlotText.format(json("{}"))).isEqualTo("-");
        assertThat(SlotText.format(json("{\"a\":1}").path("missing"))).isEqualTo("-");
    }

    @Test
    void amountsThatAreNotNumbersAreShownAsTheyAre() throws Exception {
        assertThat(SlotText.format(json("{\"mem\":\"lots\"}"))).isEqualTo("mem=lots");
    }
}
