package dev.sluice.functions.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one flag parser every handler uses: an empty flag is refused the same way everywhere. */
class QueryFlagTest {

    private static ApiRequest request(Map<String, String> query) {
        return new ApiRequest(new APIGatewayProxyRequestEvent().withHttpMethod("GET").withQueryStringParameters(query));
    }

    @Test
    void absentIsFalseAndTrueAndFalseAreThemselves() {
        assertThat(request(Map.of()).flag("running")).isFalse();
        assertThat(request(Map.of("running", "true")).flag("running")).isTrue();
        assertThat(request(Map.of("running", "false")).flag("running")).isFalse();
    }

    @Test
    void anEmptyOrOtherValueIsA422NamingTheFlagInASentence() {
        for (String bad : new String[] {"", "yes", "1", "TRUE"}) {
            assertThatThrownBy(() -> request(Map.of("forced", bad)).flag("forced"))
                    .isInstanceOfSatisfying(DomainException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_FIELD);
                        assertThat(e.field()).contains("forced");
                        assertThat(e.getMessage()).startsWith("forced must be true or false").endsWith(".");
                    });
        }
    }
}
