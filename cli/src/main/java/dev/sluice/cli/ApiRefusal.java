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

    /**
     * The API's message on its own: it is a sentence that names its field. Only a message that does not name it (an
     * older server, a proxy) is followed by the field.
     */
    @Override
    String describe() {
        if (notAuthenticated()) {
            return "not authenticated: " + sentence(getMessage()) + " Run 'sluice configure --token ...' to give a valid token.";
        }
        String named = field().filter(f -> !getMessage().contains(f)).map(f -> " (field: " + f + ")").orElse("");
        return "error: " + getMessage() + named;
    }

    private static String sentence(String message) {
        return message.endsWith(".") ? message : message + ".";
    }
}
