package dev.sluice.adapters.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.usecase.CursorSeal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** Session cursors round-trip, and even a sealed cursor is checked to be a start key DynamoDB takes (issue #14 item 6). */
class SessionCursorTest {

    @Test
    void aCursorRoundTrips() {
        SessionCursor cursor = new SessionCursor("2026-12", Map.of("id", AttributeValue.fromS("s-1"),
                "createdMonth", AttributeValue.fromS("2026-12"), "createdKey", AttributeValue.fromS("2026-12-03T10:00:00Z#s-1")));
        assertThat(SessionCursor.decode(cursor.encode())).isEqualTo(cursor);
    }

    @Test
    void startKeysDynamoDbWouldRefuseAreRefusedBeforeIt() {
        for (String content : List.of(
                "{\"p\":\"alice\",\"k\":{\"id\":\"s-1\",\"owner\":\"alice\",\"createdKey\":\"\"}}",
                "{\"p\":\"alice\",\"k\":{\"id\":\"s-1\",\"owner\":\"alice\",\"createdKey\":\"t#s-2\"}}",
                "{\"p\":\"alice\",\"k\":{\"id\":\"s-1\",\"owner\":\"bob\",\"createdKey\":\"t#s-1\"}}",
                "{\"p\":\"alice\",\"k\":{\"id\":\"s-1\",\"owner\":\"alice\",\"openOwner\":\"alice\"}}",
                "{\"p\":\"alice\",\"k\":{\"id\":\"s-1\",\"owner\":\"alice\",\"createdKey\":\"t#s-1\",\"x\":\"y\"}}",
                "{\"p\":\"alice\",\"k\":{\"id\":1,\"owner\":\"alice\",\"createdKey\":\"t#s-1\"}}",
                "{\"p\":\"alice\",\"k\":[]}",
                "[]",
                "not json")) {
            assertThatThrownBy(() -> SessionCursor.decode(CursorSeal.seal("sessions", content))).as(content)
                    .isInstanceOf(dev.sluice.core.port.Page.UnknownCursor.class).hasMessage("cursor is not a cursor this API returned.");
        }
        assertThatThrownBy(() -> SessionCursor.decode(CursorSeal.seal("folder-files:folders/f-1/", "{}")))
                .isInstanceOf(dev.sluice.core.port.Page.UnknownCursor.class);
    }
}
