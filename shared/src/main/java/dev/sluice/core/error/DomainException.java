package dev.sluice.core.error;

import java.util.Optional;

/**
 * A refusal the client caused: a code, the field at fault (if one is) and a message a person can read on its own.
 *
 * <p>Every message is one or more whole sentences ending with a period, and names its field. A message starts with the
 * field's name exactly as the client sent it ({@code startup_command is required for a batch session.}) or else with
 * a capital letter. {@link #invalid} and {@link #malformed} compose such a sentence from the field and a rule
 * ("is required for a batch session"); the constructor, {@link #invalidBecause} and {@link #notFound} take whole
 * sentences.
 */
public final class DomainException extends RuntimeException {
    private final ErrorCode code;
    private final String field;

    /** A refusal whose {@code message} is already whole sentences (naming {@code field} when there is one). */
    public DomainException(ErrorCode code, String field, String message) {
        super(message);
        this.code = code;
        this.field = field;
    }

    /** 422 "{@code <field> <rule>.}": {@code rule} says what the field must be, e.g. "must be a string". */
    public static DomainException invalid(String field, String rule) {
        return new DomainException(ErrorCode.INVALID_FIELD, field, sentence(field, rule));
    }

    /** 422 with a message that is whole sentences naming {@code field}, for rules that do not read after its name. */
    public static DomainException invalidBecause(String field, String sentences) {
        return new DomainException(ErrorCode.INVALID_FIELD, field, sentences);
    }

    /** 400 "{@code <field> <rule>.}", as {@link #invalid}. */
    public static DomainException malformed(String field, String rule) {
        return new DomainException(ErrorCode.MALFORMED_REQUEST, field, sentence(field, rule));
    }

    /** 404 "There is no {@code <what>}.", e.g. {@code notFound("session 's-1'")}. */
    public static DomainException notFound(String what) {
        return new DomainException(ErrorCode.NOT_FOUND, null, "There is no " + what + ".");
    }

    /** "{@code <field> <rule>.}" */
    public static String sentence(String field, String rule) {
        return field + " " + rule + (rule.endsWith(".") ? "" : ".");
    }

    public ErrorCode code() {
        return code;
    }

    public Optional<String> field() {
        return Optional.ofNullable(field);
    }
}
