package dev.sluice.core.error;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every refusal written in shared's sources follows the wording of {@link DomainException}: a rule given to
 * {@code invalid}/{@code malformed} reads after the field's name ("must be ..."), a whole message starts with a capital
 * letter or the field's name, and {@code notFound} names what is missing ("session 's-1'"). The tests that trigger
 * refusals check the result; this one catches a call no test triggers.
 */
class RefusalWordingTest {
    private static final Pattern RULE = Pattern.compile("DomainException\\.(?:invalid|malformed)\\(\\s*([^;]*?),\\s*\"([^\"]*)\"");
    private static final Pattern SENTENCE = Pattern.compile(
            "(?:new DomainException\\(\\s*[^,;]+,|DomainException\\.invalidBecause\\()\\s*(\"[^\"]*\"|null|[^,;]+?)\\s*,\\s*\"([^\"]*)\"");
    private static final Pattern NOT_FOUND = Pattern.compile("DomainException\\.notFound\\(\\s*\"([^\"]*)\"");

    private static List<Path> sources() throws IOException {
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            return files.filter(p -> p.toString().endsWith(".java")).toList();
        }
    }

    @Test
    void everyRefusalInTheSourcesIsWordedAsASentence() throws IOException {
        List<String> wrong = new ArrayList<>();
        int rules = 0;
        int sentences = 0;
        for (Path file : sources()) {
            String text = Files.readString(file);
            Matcher rule = RULE.matcher(text);
            while (rule.find()) {
                rules++;
                String literal = rule.group(2);
                if (literal.isEmpty() || !(Character.isLowerCase(literal.charAt(0)) || literal.startsWith("'")) || literal.endsWith(".")) {
                    wrong.add(file.getFileName() + ": the rule \"" + literal + "\" must read after the field's name, without a final period");
                }
            }
            Matcher sentence = SENTENCE.matcher(text);
            while (sentence.find()) {
                sentences++;
                String field = sentence.group(1).trim();
                String literal = sentence.group(2);
                boolean startsWithField = field.startsWith("\"") && literal.startsWith(field.substring(1, field.length() - 1));
                if (literal.isEmpty() || !(Character.isUpperCase(literal.charAt(0)) || startsWithField)) {
                    wrong.add(file.getFileName() + ": the message \"" + literal + "\" must start with a capital letter or its field");
                }
            }
            Matcher notFound = NOT_FOUND.matcher(text);
            while (notFound.find()) {
                String literal = notFound.group(1);
                if (literal.isEmpty() || !Character.isLowerCase(literal.charAt(0)) || literal.startsWith("no ")) {
                    wrong.add(file.getFileName() + ": notFound(\"" + literal + "\") must name what is missing, e.g. \"session 's-1'\"");
                }
            }
        }
        assertThat(rules).as("the scan found the rules, so it cannot pass vacuously").isGreaterThan(100);
        assertThat(sentences).as("the scan found the whole-sentence refusals").isGreaterThan(20);
        assertThat(wrong).isEmpty();
    }
}
