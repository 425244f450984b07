package dev.sluice.core.folder;

import java.time.Instant;

/** One entry of a folder's status history: what it became, when, and why. */
public record FolderStatusChange(FolderStatus status, Instant at, String reason) {
}
