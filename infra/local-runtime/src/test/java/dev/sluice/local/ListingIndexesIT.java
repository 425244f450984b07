package dev.sluice.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.adapters.aws.AwsClients;
import dev.sluice.adapters.dynamodb.DynamoSessionStore;
import dev.sluice.core.port.Page;
import dev.sluice.core.request.RequestFields;
import dev.sluice.core.session.Session;
import dev.sluice.core.session.SessionQuery;
import dev.sluice.core.session.SessionSpec;
import dev.sluice.core.session.SessionStatus;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndexDescription;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

/**
 * The session listings read the indexes that project keys only and the sessions by BatchGetItem; through the emulator,
 * every listing (an owner's, an owner's open ones, every owner's by month; filters, both orders, every page size) gives
 * the same pages and the same cursors as the listing over the indexes that project the whole item, on a table that
 * has both (the middle of an upgrade), and the stack's table has only the new ones.
 */
class ListingIndexesIT {
    private static final Instant T0 = Instant.parse("2026-10-30T10:00:00Z");
    private static final DynamoDbClient DDB = AwsClients.shared().dynamoDb();
    private static final String TABLE = "listing-it-" + UUID.randomUUID().toString().substring(0, 8);
    private static DynamoSessionStore keys;
    private static DynamoSessionStore whole;
    private static final List<String> OWNERS = List.of("ann", "bob");

    private static GlobalSecondaryIndex index(String name, String hash, ProjectionType projection) {
        return GlobalSecondaryIndex.builder().indexName(name)
                .keySchema(KeySchemaElement.builder().attributeName(hash).keyType(KeyType.HASH).build(),
                        KeySchemaElement.builder().attributeName("createdKey").keyType(KeyType.RANGE).build())
                .projection(p -> p.projectionType(projection)).build();
    }

    @BeforeAll
    static void table() throws Exception {
        LocalStack.get();
        List<AttributeDefinition> attributes = new ArrayList<>();
        for (String a : List.of("id", "owner", "createdKey", "openOwner", "createdMonth")) {
            attributes.add(AttributeDefinition.builder().attributeName(a).attributeType(ScalarAttributeType.S).build());
        }
        DDB.createTable(b -> b.tableName(TABLE).billingMode("PAY_PER_REQUEST").attributeDefinitions(attributes)
                .keySchema(KeySchemaElement.builder().attributeName("id").keyType(KeyType.HASH).build())
                .globalSecondaryIndexes(
                        index("by-owner", "owner", ProjectionType.ALL), index("open-by-owner", "openOwner", ProjectionType.ALL),
                        index("by-month", "createdMonth", ProjectionType.ALL),
                        index("by-owner-keys", "owner", ProjectionType.KEYS_ONLY), index("open-by-owner-keys", "openOwner", ProjectionType.KEYS_ONLY),
                        index("by-month-keys", "createdMonth", ProjectionType.KEYS_ONLY)));
        Clock clock = Clock.fixed(Instant.parse("2026-12-03T12:00:00Z"), ZoneOffset.UTC);
        keys = new DynamoSessionStore(AwsClients.shared().enhanced(), DDB, TABLE, TABLE, TABLE, clock, DynamoSessionStore.KEYS_ONLY);
        whole = new DynamoSessionStore(AwsClients.shared().enhanced(), DDB, TABLE, TABLE, TABLE, clock, DynamoSessionStore.WHOLE_ITEMS);
        // 2 owners x 13 sessions over three months: names n0..n2, groups g0/g1, statuses of every kind.
        SessionStatus[] statuses = {SessionStatus.PENDING, SessionStatus.TERMINATED, SessionStatus.CANCELLED, SessionStatus.PENDING,
                SessionStatus.TERMINATED};
        int n = 0;
        for (int i = 0; i < 13; i++) {
            for (String owner : OWNERS) {
                Instant at = T0.plus(java.time.Duration.ofDays(3L * i)).plusSeconds(n++);
                SessionSpec spec = SessionSpec.parse(RequestFields.of(Map.of("image", "busybox", "name", "n" + (i % 3),
                        "resource_slots", Map.of("cpu", 1, "mem", "1g"))), at);
                Session s = Session.enqueue(UUID.randomUUID().toString(), owner, spec, "g" + (i % 2), at);
                SessionStatus to = statuses[i % statuses.length];
                if (to != SessionStatus.PENDING) {
                    s = s.transitionTo(to, "test", dev.sluice.core.session.StatusData.NONE, at);
                }
                keys.create(s, Optional.empty());
            }
        }
    }

    @AfterAll
    static void drop() {
        DDB.deleteTable(b -> b.tableName(TABLE));
    }

    /** Every page of a listing: the ids of each page and its cursor. */
    private static List<String> pages(DynamoSessionStore store, SessionQuery first) {
        List<String> pages = new ArrayList<>();
        SessionQuery q = first;
        for (int i = 0; i < 100; i++) {
            Page<Session> page = store.list(q, T0.minusSeconds(86_400));
            pages.add(page.items().stream().map(Session::id).toList() + " -> " + page.nextCursor().orElse("end"));
            if (page.nextCursor().isEmpty()) {
                return pages;
            }
            q = new SessionQuery(q.owner(), q.statuses(), q.resourceGroup(), q.name(), q.newestFirst(), q.limit(), page.nextCursor());
        }
        throw new AssertionError("more than 100 pages");
    }

    @Test
    void everyListingGivesTheSamePagesAndCursorsFromTheKeysOnlyIndexes() {
        List<Optional<String>> owners = List.of(Optional.of("ann"), Optional.of("bob"), Optional.empty());
        List<Set<SessionStatus>> statuses = List.of(Set.of(), Set.of(SessionStatus.PENDING), Set.of(SessionStatus.TERMINATED, SessionStatus.CANCELLED),
                SessionStatus.OPEN);
        int listings = 0;
        for (Optional<String> owner : owners) {
            for (Set<SessionStatus> status : statuses) {
                for (Optional<String> group : List.of(Optional.<String>empty(), Optional.of("g1"))) {
                    for (Optional<String> name : List.of(Optional.<String>empty(), Optional.of("n2"))) {
                        for (boolean newestFirst : List.of(true, false)) {
                            for (int limit : List.of(3, 50)) {
                                SessionQuery q = new SessionQuery(owner, status, group, name, newestFirst, limit, Optional.empty());
                                List<String> fromKeys = pages(keys, q);
                                assertThat(fromKeys).as(q.toString()).isEqualTo(pages(whole, q));
                                listings++;
                            }
                        }
                    }
                }
            }
        }
        assertThat(listings).isEqualTo(3 * 4 * 2 * 2 * 2 * 2);
        for (Optional<String> owner : owners) {
            SessionQuery onePerPage = new SessionQuery(owner, Set.of(), Optional.empty(), Optional.empty(), true, 1, Optional.empty());
            assertThat(pages(keys, onePerPage)).isEqualTo(pages(whole, onePerPage)).hasSize(owner.isPresent() ? 13 : 26);
        }
        // Not empty by accident: ann's open sessions oldest first, 2 a page.
        List<String> annOpen = pages(keys, new SessionQuery(Optional.of("ann"), SessionStatus.OPEN, Optional.empty(), Optional.empty(),
                false, 2, Optional.empty()));
        assertThat(annOpen).hasSize(3);
        List<Session> all = new ArrayList<>();
        keys.eachOf("ann", SessionStatus.OPEN, all::add);
        assertThat(all).hasSize(5).allMatch(s -> s.status() == SessionStatus.PENDING).isSortedAccordingTo(
                java.util.Comparator.comparing(Session::createdAt));
    }

    @Test
    void theKeysOnlyIndexesHoldNoAttributeButTheKeysAndTheStacksTableHasOnlyThem() throws Exception {
        var entries = DDB.query(b -> b.tableName(TABLE).indexName("by-owner-keys").keyConditionExpression("#o = :o")
                .expressionAttributeNames(Map.of("#o", "owner")).expressionAttributeValues(Map.of(":o", AttributeValue.fromS("ann")))).items();
        assertThat(entries).hasSize(13).allSatisfy(e -> assertThat(e.keySet()).containsExactlyInAnyOrder("id", "owner", "createdKey"));

        String stackTable = LocalStack.get().functionEnvironment().get("SESSIONS_TABLE");
        List<GlobalSecondaryIndexDescription> indexes = DDB.describeTable(b -> b.tableName(stackTable)).table().globalSecondaryIndexes();
        assertThat(indexes).extracting(GlobalSecondaryIndexDescription::indexName)
                .containsExactlyInAnyOrder("by-owner-keys", "open-by-owner-keys", "by-month-keys", "pending-queue", "by-agent");
        assertThat(indexes).filteredOn(i -> i.indexName().endsWith("-keys"))
                .allSatisfy(i -> assertThat(i.projection().projectionType()).isEqualTo(ProjectionType.KEYS_ONLY));
        assertThat(LocalStack.get().functionEnvironment()).containsEntry("SESSION_LISTING_INDEXES", "keys");
    }
}
