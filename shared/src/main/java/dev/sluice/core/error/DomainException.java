package dev.sluice.core.error;

import java.util.Optional;

/** A refusal the client caused: a code, the field at fault (if one is) and a human message. */
public final class DomainException extends RuntimeException {
    private final ErrorCode code;
    private final String field;

    public DomainException(ErrorCode code, String field, String message) {
        super(message);
        this.code = code;
        this.field = field;
    }

    public static DomainException invalid(String field, String message) {
        return new DomainException(ErrorCode.INVALID_FIELD, field, message);
    }

    public static DomainException malformed(String field, String message) {
        return new DomainException(ErrorCode.MALFORMED_REQUEST, field, message);
    }

    public static DomainException notFound(String what) {
        return new DomainException(ErrorCode.NOT_FOUND, null, what);
    }

    public ErrorCode code() {
        return code;
    }

    public Optional<String> field() {
        return Optional.ofNullable(field);
    }
}
