package dev.sluice.agent.archfixture;

/** Classes that break the agent's architecture rules on purpose, so the rules are shown to catch what they forbid. */
public final class Fixtures {
    private Fixtures() {
    }

    /** A state holder with a public mutable field, as the ledger entry once was. */
    public static final class OpenEntry {
        public String state = "STARTING";
    }

    /** Changes an {@link OpenEntry} from outside it. */
    public static final class Mutator {
        public static void end(OpenEntry e) {
            e.state = "ENDED";
        }
    }

    /** A "protocol" class that reaches into the loop. */
    public static final class ProtocolThatKnowsTheLoop {
        public static String version() {
            return dev.sluice.agent.AgentLoop.VERSION + dev.sluice.agent.AgentLoop.class.getName();
        }
    }
}
