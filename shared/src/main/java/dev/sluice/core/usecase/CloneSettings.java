package dev.sluice.core.usecase;

/**
 * Page size of the copy and how many pages one execution copies before it continues as a new one; above
 * {@code multipartUploadThreshold} bytes a file is copied (and uploaded) in parts.
 */
public record CloneSettings(int pageSize, int pagesPerExecution, long multipartUploadThreshold) {
}
