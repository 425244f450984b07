package dev.sluice.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SessionQueryTest {
    private static final Principal USER = new Principal("u-1", "alice", Set.of("users"));
    private static final Principal ADMIN = new Principal("a-1", "root", Set.of("admin"));

    /** Flags as the HTTP edge reads them (ApiRequest.flag, tested with the functions): here only "true" is set. */
    private static SessionQuery parse(Map<String, String> params, Principal caller) {
        return SessionQuery.parse(params, caller, name -> "true".equals(params.get(name)));
    }

    @Test
    void aUserListsTheirOwnSessionsNewestFirstByDefault() {
        SessionQuery q = parse(Map.of(), USER);
        assertThat(q.owner()).contains("u-1");
        assertThat(q.newestFirst()).isTrue();
        assertThat(q.limit()).isEqualTo(SessionQuery.DEFAULT_LIMIT);
        assertThat(q.statuses()).isEmpty();
    }

    @Test
    void runningAndDeadAreStatusSets() {
        assertThat(parse(Map.of("running", "true"), USER).statuses()).isEqualTo(SessionQuery.RUNNING);
        assertThat(parse(Map.of("dead", "true"), USER).statuses()).isEqualTo(SessionQuery.DEAD);
        assertThat(parse(Map.of("status", "pending,running"), USER).statuses())
                .containsExactlyInAnyOrder(SessionStatus.PENDING, SessionStatus.RUNNING);
    }

    @Test
    void onlyAdminsListOthersOrEverybody() {
        for (Map<String, String> params : new Map[] {Map.of("all", "true"), Map.of("owner", "u-2")}) {
            assertThatThrownBy(() -> parse(params, USER))
                    .satisfies(e -> assertThat(((DomainException) e).code()).isEqualTo(ErrorCode.FORBIDDEN));
        }
        assertThat(parse(Map.of("owner", "u-1"), USER).owner()).as("naming yourself is fine").contains("u-1");
        assertThat(parse(Map.of("all", "true"), ADMIN).owner()).isEmpty();
        assertThat(parse(Map.of("owner", "u-2"), ADMIN).owner()).contains("u-2");
    }

    @Test
    void badParametersAreRefusedByName() {
        for (Map.Entry<String, String> bad : Map.of("status", "sleeping", "limit", "0", "order", "random", "colour", "red", "resource_group", "").entrySet()) {
            assertThatThrownBy(() -> parse(Map.of(bad.getKey(), bad.getValue()), USER))
                    .satisfies(e -> assertThat(((DomainException) e).field()).contains(bad.getKey()));
        }
        assertThatThrownBy(() -> parse(Map.of("running", "true", "dead", "true"), USER)).isInstanceOf(DomainException.class);
    }
}
