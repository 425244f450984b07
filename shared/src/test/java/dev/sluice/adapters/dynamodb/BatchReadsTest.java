package dev.sluice.adapters.dynamodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;

/** The listing's BatchGetItem loop: at most 100 keys a request, unprocessed keys asked again after a growing pause. */
class BatchReadsTest {
    private static Map<String, AttributeValue> item(String id) {
        return Map.of("id", AttributeValue.fromS(id), "status", AttributeValue.fromS("RUNNING"));
    }

    @Test
    void unprocessedKeysAreAskedAgainUntilNoneIsLeftAndMoreThanAHundredKeysTakeSeveralRequests() {
        List<String> ids = IntStream.range(0, 150).mapToObj(i -> "s-" + i).toList();
        List<Integer> asked = new ArrayList<>();
        List<Long> pauses = new ArrayList<>();
        Map<String, Map<String, AttributeValue>> found = BatchReads.byId("t", ids, request -> {
            List<Map<String, AttributeValue>> keys = request.requestItems().get("t").keys();
            asked.add(keys.size());
            // Each time, the last third of the keys is left unprocessed (as DynamoDB does under throttling).
            int served = keys.size() <= 2 ? keys.size() : keys.size() - keys.size() / 3;
            BatchGetItemResponse.Builder r = BatchGetItemResponse.builder()
                    .responses(Map.of("t", keys.subList(0, served).stream().map(k -> item(k.get("id").s())).toList()));
            if (served < keys.size()) {
                r.unprocessedKeys(Map.of("t", KeysAndAttributes.builder().keys(keys.subList(served, keys.size())).build()));
            }
            return r.build();
        }, pauses::add);

        assertThat(found.keySet()).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(asked.get(0)).isEqualTo(BatchReads.MAX_KEYS);
        assertThat(asked).allMatch(n -> n <= BatchReads.MAX_KEYS);
        assertThat(pauses).isNotEmpty().allMatch(p -> p > 0 && p <= 1_000);
    }

    @Test
    void keysLeftUnprocessedRoundAfterRoundEndInAnErrorNotAnIncompletePage() {
        assertThatThrownBy(() -> BatchReads.byId("t", List.of("a", "b"), request -> BatchGetItemResponse.builder()
                .responses(Map.of()).unprocessedKeys(request.requestItems()).build(), p -> { }))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("unprocessed");
    }

    @Test
    void aMissingItemIsLeftOutAndARepeatedIdAskedOnce() {
        List<BatchGetItemRequest> requests = new ArrayList<>();
        var found = BatchReads.byId("t", List.of("a", "a", "gone"), request -> {
            requests.add(request);
            return BatchGetItemResponse.builder().responses(Map.of("t", List.of(item("a")))).build();
        }, p -> { });
        assertThat(found).containsOnlyKeys("a");
        assertThat(requests).singleElement().satisfies(r -> assertThat(r.requestItems().get("t").keys()).hasSize(2));
    }
}
