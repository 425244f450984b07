package dev.sluice.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code sluice version}. */
@Command(name = "version", description = "Print the version of this command.")
final class VersionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        ((Sluice) spec.root().userObject()).invocation().out().println("sluice " + Sluice.version());
        return Sluice.EXIT_OK;
    }
}
