package dev.sluice.core.port;

/** Makes new, unique identifiers. */
@FunctionalInterface
public interface IdGenerator {
    String newId();
}
