package dev.sluice.core.folder;

import dev.sluice.core.request.RequestFields;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.error.DomainException;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FolderRulesTest {
    private static final Instant T0 = Instant.parse("2026-11-25T10:00:00Z");

    @Test
    void theTransitionMapAllowsTheCloneAndDeleteLivesOnly() {
        assertThat(FolderStatus.READY.mayBecome(FolderStatus.PERFORMING)).isTrue();
        assertThat(FolderStatus.PERFORMING.mayBecome(FolderStatus.READY)).isTrue();
        assertThat(FolderStatus.CLONING.mayBecome(FolderStatus.READY)).isTrue();
        assertThat(FolderStatus.CLONING.mayBecome(FolderStatus.ERROR)).isTrue();
        assertThat(FolderStatus.READY.mayBecome(FolderStatus.CLONING)).as("a target is born cloning, never becomes it").isFalse();
        assertThat(FolderStatus.PERFORMING.mayBecome(FolderStatus.DELETE_PENDING)).as("no delete under a running clone").isFalse();
        assertThat(FolderStatus.DELETE_PENDING.mayBecome(FolderStatus.DELETE_ONGOING)).isTrue();
        assertThat(FolderStatus.DELETE_ONGOING.mayBecome(FolderStatus.DELETE_ERROR)).isTrue();
        assertThat(FolderStatus.DELETE_ERROR.mayBecome(FolderStatus.DELETE_PENDING)).as("a failed delete can be retried").isTrue();
        for (FolderStatus s : FolderStatus.values()) {
            assertThat(FolderStatus.DELETE_COMPLETE.mayBecome(s)).isFalse();
        }
        assertThat(FolderStatus.from(FolderStatus.READY)).containsExactlyInAnyOrder(FolderStatus.PERFORMING, FolderStatus.CLONING,
                FolderStatus.MOUNTED);
        assertThat(FolderStatus.ofWire("delete-ongoing")).contains(FolderStatus.DELETE_ONGOING);
    }

    @Test
    void aFolderSpecHasDefaultsAndRefusesBadFieldsByName() {
        FolderSpec spec = FolderSpec.parse(RequestFields.of(Map.of("name", "data-1")));
        assertThat(spec).isEqualTo(new FolderSpec("data-1", "s3", UsageMode.GENERAL, FolderPermission.RW, false));
        assertRefused(Map.of("name", "data", "usage_mode", "weights"), "usage_mode");
        assertRefused(Map.of("name", "data", "permission", "x"), "permission");
        assertRefused(Map.of("name", "../x"), "name");
        assertRefused(Map.of("name", ""), "name");
        assertRefused(Map.of(), "name");
        assertRefused(Map.of("name", "a", "cloneable", "yes"), "cloneable");
        assertRefused(Map.of("name", "a", "host", "nfs"), "host");
        assertRefused(Map.of("name", "a", "size", 1), "size");
    }

    @Test
    void aCloneTargetInheritsTheSourcesUsageModeUnlessGiven() {
        Folder source = Folder.create("f-1", "alice", new FolderSpec("models", "s3", UsageMode.MODEL, FolderPermission.RO, true),
                FolderStatus.READY, "created", T0);
        FolderSpec inherited = CloneRequest.parse(RequestFields.of(Map.of("target_name", "copy"))).targetSpec(source);
        assertThat(inherited.usageMode()).isEqualTo(UsageMode.MODEL);
        assertThat(inherited.permission()).isEqualTo(FolderPermission.RO);
        assertThat(inherited.cloneable()).isFalse();
        FolderSpec given = CloneRequest.parse(RequestFields.of(Map.of("target_name", "copy", "usage_mode", "data", "permission", "rw", "cloneable", true)))
                .targetSpec(source);
        assertThat(given).isEqualTo(new FolderSpec("copy", "s3", UsageMode.DATA, FolderPermission.RW, true));
        assertThatThrownBy(() -> CloneRequest.parse(RequestFields.of(Map.of("target_name", "models"))).targetSpec(source))
                .isInstanceOf(DomainException.class).extracting(e -> ((DomainException) e).field().orElse("")).isEqualTo("target_name");
        assertRefusedClone(Map.of(), "target_name");
        assertRefusedClone(Map.of("target_name", "x", "usage_mode", "all"), "usage_mode");
        assertRefusedClone(Map.of("target_name", "x", "target_host", "elsewhere"), "target_host");
    }

    @Test
    void aFolderKeepsItsPrefixAcrossARenameAndAppendsItsHistory() {
        Folder f = Folder.create("f-9", "alice", FolderSpec.parse(RequestFields.of(Map.of("name", "a"))), FolderStatus.READY, "created", T0);
        Folder renamed = f.withName("b").withStatus(FolderStatus.PERFORMING, "cloning", T0.plusSeconds(1));
        assertThat(renamed.prefix()).isEqualTo(f.prefix()).isEqualTo("folders/f-9/");
        assertThat(renamed.statusHistory()).extracting(FolderStatusChange::status)
                .containsExactly(FolderStatus.READY, FolderStatus.PERFORMING);
    }

    private static void assertRefused(Map<String, Object> body, String field) {
        assertThatThrownBy(() -> FolderSpec.parse(RequestFields.of(body))).isInstanceOf(DomainException.class)
                .extracting(e -> ((DomainException) e).field().orElse("")).isEqualTo(field);
    }

    private static void assertRefusedClone(Map<String, Object> body, String field) {
        assertThatThrownBy(() -> CloneRequest.parse(RequestFields.of(body))).isInstanceOf(DomainException.class)
                .extracting(e -> ((DomainException) e).field().orElse("")).isEqualTo(field);
    }
}
