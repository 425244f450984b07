package dev.sluice.adapters.dynamodb;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongConsumer;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;

/**
 * Items of one table read by id with BatchGetItem: at most {@link #MAX_KEYS} keys a request, and the keys DynamoDB
 * leaves unprocessed (throttling, or more than 16 MB) asked again after a growing pause until none is left.
 */
final class BatchReads {
    /** DynamoDB's limit on the keys of one BatchGetItem. */
    static final int MAX_KEYS = 100;
    /** Rounds of unprocessed keys tried before giving up. */
    static final int MAX_ROUNDS = 8;

    private BatchReads() {
    }

    /** The items of {@code ids} that exist, by id (eventually consistent reads, as the index queries before them). */
    static Map<String, Map<String, AttributeValue>> byId(String table, List<String> ids,
                                                       Function<BatchGetItemRequest, BatchGetItemResponse> batchGetItem, LongConsumer pause) {
        Map<String, Map<String, AttributeValue>> found = new HashMap<>();
        List<String> distinct = List.copyOf(new LinkedHashSet<>(ids));
        for (int from = 0; from < distinct.size(); from += MAX_KEYS) {
            List<Map<String, AttributeValue>> keys = distinct.subList(from, Math.min(distinct.size(), from + MAX_KEYS)).stream()
                    .map(id -> Map.of("id", AttributeValue.fromS(id))).toList();
            Map<String, KeysAndAttributes> request = Map.of(table, KeysAndAttributes.builder().keys(keys).build());
            for (int round = 0; !request.isEmpty(); round++) {
                if (round == MAX_ROUNDS) {
                    throw new IllegalStateException("DynamoDB left " + request.get(table).keys().size() + " keys of " + table
                            + " unprocessed " + MAX_ROUNDS + " times; the listing is tried again later");
                }
                if (round > 0) {
                    pause.accept(Math.min(1_000L, 25L << round));
                }
                BatchGetItemResponse r = batchGetItem.apply(BatchGetItemRequest.builder().requestItems(request).build());
                for (Map<String, AttributeValue> item : r.responses().getOrDefault(table, List.of())) {
                    found.put(item.get("id").s(), item);
                }
                request = r.hasUnprocessedKeys() && r.unprocessedKeys().containsKey(table)
                        && r.unprocessedKeys().get(table).hasKeys() && !r.unprocessedKeys().get(table).keys().isEmpty()
                        ? Map.of(table, r.unprocessedKeys().get(table)) : Map.of();
            }
        }
        return found;
    }

    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting to read unprocessed keys again", e);
        }
    }
}
