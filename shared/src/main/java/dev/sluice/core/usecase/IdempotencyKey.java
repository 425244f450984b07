package dev.sluice.core.usecase;

import dev.sluice.core.error.DomainException;
import java.util.regex.Pattern;

/** A client's Idempotency-Key and the fingerprint of the request body it came with. */
public record IdempotencyKey(String key, String fingerprint) {
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    public IdempotencyKey {
        if (!KEY.matcher(key).matches()) {
            throw DomainException.malformed("Idempotency-Key", "must be 1-128 characters of letters, digits, '.', '_', ':' or '-'");
        }
    }
}
