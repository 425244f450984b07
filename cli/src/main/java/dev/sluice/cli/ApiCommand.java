package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.BiFunction;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A command that talks to the API: the configured client, the run's streams and clock. */
abstract class ApiCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    Sluice root() {
        return (Sluice) spec.root().userObject();
    }

    SluiceApi api() {
        return root().api();
    }

    PrintStream out() {
        return root().invocation().out();
    }

    PrintStream err() {
        return root().invocation().err();
    }

    RelativeTime relative() {
        return new RelativeTime(root().invocation().clock());
    }

    void printJson(JsonNode json) {
        out().println(Json.pretty(json));
    }

    /** Prints one resource, as JSON when asked, else as its text block; the exit code of success. */
    int show(JsonNode resource, boolean json, BiFunction<JsonNode, RelativeTime, String> block) {
        if (json) {
            printJson(resource);
        } else {
            out().print(block.apply(resource, relative()));
        }
        return Sluice.EXIT_OK;
    }

    /** A usage error (exit 2) naming the option, when a value is not one of those allowed. */
    String oneOf(String option, String value, List<String> allowed) {
        if (value != null && !allowed.contains(value)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "Invalid value for option '" + option + "': '" + value + "' (expected one of " + String.join(", ", allowed) + ")");
        }
        return value;
    }

    CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
