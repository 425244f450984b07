package dev.sluice.cli;

import java.util.Optional;

/** The API answered with an error: its HTTP status and the {@code {"error":{code,message,field}}} it sent. */
final class ApiRefusal extends Failure {
    private final int status;
    private final String code;
    private final String field;

    ApiRefusal(int status, String code, String message, String field) {
        super(message);
        this.status = status;
        this.code = code;
        this.field = field;
    }

    int status() {
        return status;
    }

    String code() {
        return code;
    }

    Optional<String> field() {
        return Optional.ofNullable(field).filter(f -> !f.isBlank());
    }

    boolean notAuthenticated() {
        return status == 401;
    }

    /** A refused token is a configuration problem (exit 2); any other refusal is the API saying no (exit 1). */
    @Override
    int exitCode() {
        return notAuthenticated() ? Sluice.EXIT_SETUP : Sluice.EXIT_REFUSED;
    }

    @Override
    String describe() {
        if (notAuthenticated()) {
            return "not authenticated: " + getMessage() + " — run 'sluice configure --token ...'";
        }
        return "error: " + getMessage() + field().map(f -> " (field: " + f + ")").orElse("");
    }
}
