package dev.sluice.core.error;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

/** What every refusal's message must be: a sentence on its own (see {@link DomainException}) that names its field. */
public final class Sentences {
    /** Words a message may not start with: it would be a rule that lost its subject ("is required for ..."). */
    private static final List<String> FRAGMENT_STARTS = List.of("is ", "are ", "must ", "may ", "cannot ", "can ",
            "should ", "has ", "have ", "names ", "mounts ", "belongs ", "not ", "no ", "unknown ", "only ");

    private Sentences() {
    }

    public static void assertReadsAsSentence(DomainException e) {
        assertReadsAsSentence(e.field().orElse(null), e.getMessage());
    }

    public static void assertReadsAsSentence(String field, String message) {
        assertThat(message).as("a refusal has a message").isNotBlank();
        assertThat(message).as("a message is whole sentences: it ends with a period: " + message).endsWith(".");
        boolean named = field != null && !field.isEmpty();
        if (named) {
            assertThat(message).as("the message names its field").contains(field);
        }
        if (named && startsWithName(message, field)) {
            return;
        }
        for (String start : FRAGMENT_STARTS) {
            assertThat(message.toLowerCase(java.util.Locale.ROOT))
                    .as("a message does not start with a rule that lost its subject ('" + start.trim() + "'): " + message)
                    .doesNotStartWith(start);
        }
        assertThat(Character.isUpperCase(message.charAt(0)))
                .as("a message starts with its field's name or a capital letter: " + message).isTrue();
    }

    /** "startup_command is ...", "all=true is ...", but not "names ..." for a field "name". */
    private static boolean startsWithName(String message, String field) {
        if (!message.startsWith(field) || message.length() == field.length()) {
            return false;
        }
        char next = message.charAt(field.length());
        return !Character.isLetterOrDigit(next) && next != '_';
    }
}
