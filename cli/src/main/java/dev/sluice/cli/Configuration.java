package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;

/**
 * Where the API is and who calls it. Each setting comes from the first of: the {@code --endpoint} / {@code --token}
 * flags, the {@code SLUICE_API} / {@code SLUICE_TOKEN} environment variables, the configuration file
 * ({@code $SLUICE_CONFIG}, else {@code $HOME/.config/sluice/config.json}) that {@code sluice configure} writes.
 */
record Configuration(String endpoint, String token) {

    /** What the configuration file holds; either setting may be missing. */
    record Stored(Optional<String> endpoint, Optional<String> token) {
        static final Stored EMPTY = new Stored(Optional.empty(), Optional.empty());
    }

    static Configuration resolve(String endpointFlag, String tokenFlag, Map<String, String> env) {
        Stored stored = file(env).map(Configuration::read).orElse(Stored.EMPTY);
        String endpoint = first(endpointFlag, env.get("SLUICE_API"), stored.endpoint().orElse(null));
        String token = first(tokenFlag, env.get("SLUICE_TOKEN"), stored.token().orElse(null));
        if (endpoint == null) {
            throw new NotConfigured("No Sluice API endpoint is configured: pass --endpoint URL, set SLUICE_API, "
                    + "or run 'sluice configure --endpoint URL --token TOKEN'.");
        }
        if (token == null) {
            throw new NotConfigured("No token is configured: pass --token TOKEN, set SLUICE_TOKEN, "
                    + "or run 'sluice configure --endpoint URL --token TOKEN'.");
        }
        return new Configuration(checkedEndpoint(endpoint), token.trim());
    }

    /** The configuration file this environment names; empty when neither SLUICE_CONFIG nor HOME is set. */
    static Optional<Path> file(Map<String, String> env) {
        String named = env.get("SLUICE_CONFIG");
        if (named != null && !named.isBlank()) {
            return Optional.of(Path.of(named));
        }
        String home = env.get("HOME");
        if (home != null && !home.isBlank()) {
            return Optional.of(Path.of(home, ".config", "sluice", "config.json"));
        }
        return Optional.empty();
    }

    static Stored read(Path file) {
        if (!Files.exists(file)) {
            return Stored.EMPTY;
        }
        try {
            JsonNode json = Json.MAPPER.readTree(file.toFile());
            if (json == null || !json.isObject()) {
                throw new NotConfigured("The configuration file " + file + " does not hold a JSON object; "
                        + "run 'sluice configure' to write it again.");
            }
            return new Stored(text(json, "endpoint"), text(json, "token"));
        } catch (IOException e) {
            throw new NotConfigured("Cannot read the configuration file " + file + ": " + e.getMessage() + ".");
        }
    }

    /** Writes the file readable by its owner only (mode 600), replacing it whole so no reader sees half of it. */
    static void write(Path file, Stored settings) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        ObjectNode json = Json.MAPPER.createObjectNode();
        settings.endpoint().ifPresent(e -> json.put("endpoint", e));
        settings.token().ifPresent(t -> json.put("token", t));
        Path temp = dir.resolve(file.getFileName() + ".tmp");
        Files.deleteIfExists(temp);
        try {
            Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(temp);
        } catch (FileAlreadyExistsException raced) {
            throw new IOException("another 'sluice configure' is writing " + file, raced);
        }
        Files.writeString(temp, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(json) + "\n");
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** An http(s) URL without a trailing slash, or a {@link NotConfigured} saying what is wrong with it. */
    static String checkedEndpoint(String endpoint) {
        String trimmed = endpoint.trim().replaceAll("/+$", "");
        if (!isHttpUrl(trimmed)) {
            throw new NotConfigured("The endpoint '" + endpoint + "' is not an http(s) URL such as "
                    + "http://127.0.0.1:4566/_aws/execute-api/<apiId>/v1.");
        }
        return trimmed;
    }

    private static boolean isHttpUrl(String text) {
        try {
            URI uri = URI.create(text);
            return ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null;
        } catch (IllegalArgumentException notAUri) {
            return false;
        }
    }

    private static Optional<String> text(JsonNode json, String field) {
        JsonNode v = json.get(field);
        return v == null || !v.isTextual() || v.asText().isBlank() ? Optional.empty() : Optional.of(v.asText());
    }

    private static String first(String... candidates) {
        for (String c : candidates) {
            if (c != null && !c.isBlank()) {
                return c;
            }
        }
        return null;
    }
}
