package dev.sluice.core.error;

/** Every failure a client can cause, with the HTTP status it maps to in one place. */
public enum ErrorCode {
    MALFORMED_REQUEST(400, "malformed_request"),
    INVALID_FIELD(422, "invalid_field"),
    UNAUTHENTICATED(401, "unauthenticated"),
    FORBIDDEN(403, "forbidden"),
    NOT_FOUND(404, "not_found"),
    CONFLICT(409, "conflict"),
    IDEMPOTENCY_MISMATCH(422, "idempotency_key_reused"),
    PAYLOAD_TOO_LARGE(413, "payload_too_large");

    private final int httpStatus;
    private final String wireName;

    ErrorCode(int httpStatus, String wireName) {
        this.httpStatus = httpStatus;
        this.wireName = wireName;
    }

    public int httpStatus() {
        return httpStatus;
    }

    public String wireName() {
        return wireName;
    }
}
