package dev.sluice.adapters.auth;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.adapters.json.Json;
import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.RSAPublicKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Verifies RS256 and ES256 bearer tokens (Cognito signs RS256): signature by a key of the issuer's JWKS,
 * issuer, audience ({@code aud} or Cognito's {@code client_id}), expiry and not-before, with a minute of skew.
 */
public final class JwtVerifier {
    private static final Duration SKEW = Duration.ofSeconds(60);
    private static final Base64.Decoder B64 = Base64.getUrlDecoder();

    private final String issuer;
    private final String audience;
    private final Supplier<Map<String, PublicKey>> keys;
    private final Clock clock;

    public JwtVerifier(String issuer, String audience, Supplier<Map<String, PublicKey>> keys, Clock clock) {
        this.issuer = issuer;
        this.audience = audience;
        this.keys = keys;
        this.clock = clock;
    }

    /** A verifier whose keys are fetched once from the issuer's JWKS URL, on first use. */
    public static JwtVerifier forJwksUrl(String issuer, String audience, String jwksUrl, Clock clock) {
        return new JwtVerifier(issuer, audience, new JwksCache(() -> parseJwks(fetch(jwksUrl)), clock), clock);
    }

    /** Reads the principal from an {@code Authorization} header value; 401 for anything not a valid token. */
    public Principal verifyHeader(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw unauthenticated("A bearer token is required in the Authorization header (Authorization: Bearer <token>).");
        }
        return verify(authorization.substring(7).trim());
    }

    public Principal verify(String token) {
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3) {
            throw unauthenticated("The bearer token in the Authorization header is not a JWT.");
        }
        JsonNode header = decode(parts[0]);
        JsonNode claims = decode(parts[1]);
        String alg = header.path("alg").asText();
        if (!"RS256".equals(alg) && !"ES256".equals(alg)) {
            throw unauthenticated("The bearer token in the Authorization header is signed with an algorithm that is not accepted.");
        }
        String kid = header.path("kid").asText();
        PublicKey key = keys.get().get(kid);
        if (key == null && keys instanceof JwksCache cache) {
            key = cache.refresh().get(kid);
        }
        if (key == null || !key.getAlgorithm().equals("RS256".equals(alg) ? "RSA" : "EC")) {
            throw unauthenticated("The bearer token in the Authorization header was not signed by a known key.");
        }
        try {
            // ES256 signatures are R||S (JWS), which the P1363 form of the JDK's ECDSA reads as is.
            Signature verifier = Signature.getInstance("RS256".equals(alg) ? "SHA256withRSA" : "SHA256withECDSAinP1363Format");
            verifier.initVerify(key);
            verifier.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
            if (!verifier.verify(B64.decode(parts[2]))) {
                throw unauthenticated("The bearer token in the Authorization header has a signature that is not valid.");
            }
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw unauthenticated("The bearer token in the Authorization header has a signature that is not valid.");
        }
        if (!issuer.equals(claims.path("iss").asText())) {
            throw unauthenticated("The bearer token in the Authorization header was issued by an unknown issuer.");
        }
        boolean audienceMatches = audience.equals(claims.path("aud").asText())
                || audience.equals(claims.path("client_id").asText())
                || (claims.path("aud").isArray() && containsText(claims.path("aud"), audience));
        if (!audienceMatches) {
            throw unauthenticated("The bearer token in the Authorization header is not meant for this API.");
        }
        long now = clock.instant().getEpochSecond();
        if (!claims.path("exp").canConvertToLong() || claims.path("exp").asLong() + SKEW.getSeconds() < now) {
            throw unauthenticated("The bearer token in the Authorization header has expired.");
        }
        if (claims.has("nbf") && claims.path("nbf").asLong() - SKEW.getSeconds() > now) {
            throw unauthenticated("The bearer token in the Authorization header is not valid yet.");
        }
        String subject = claims.path("sub").asText("");
        if (subject.isEmpty()) {
            throw unauthenticated("The bearer token in the Authorization header names no subject.");
        }
        String username = claims.path("cognito:username").asText(claims.path("username").asText(subject));
        Set<String> groups = new HashSet<>();
        claims.path("cognito:groups").forEach(g -> groups.add(g.asText()));
        return new Principal(subject, username, groups);
    }

    private static boolean containsText(JsonNode array, String value) {
        for (JsonNode n : array) {
            if (value.equals(n.asText())) {
                return true;
            }
        }
        return false;
    }

    private static JsonNode decode(String part) {
        try {
            JsonNode node = Json.MAPPER.readTree(B64.decode(part));
            if (node == null || !node.isObject()) {
                throw unauthenticated("The bearer token in the Authorization header is not a JWT.");
            }
            return node;
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw unauthenticated("The bearer token in the Authorization header is not a JWT.");
        }
    }

    private static DomainException unauthenticated(String message) {
        return new DomainException(ErrorCode.UNAUTHENTICATED, "Authorization", message);
    }

    /** Parses a JWKS document into public keys by key id: RSA, and EC on P-256. */
    public static Map<String, PublicKey> parseJwks(String jwks) {
        try {
            JsonNode root = Json.MAPPER.readTree(jwks);
            Map<String, PublicKey> out = new HashMap<>();
            KeyFactory rsa = KeyFactory.getInstance("RSA");
            KeyFactory ec = KeyFactory.getInstance("EC");
            java.security.AlgorithmParameters p256 = java.security.AlgorithmParameters.getInstance("EC");
            p256.init(new java.security.spec.ECGenParameterSpec("secp256r1"));
            java.security.spec.ECParameterSpec p256Spec = p256.getParameterSpec(java.security.spec.ECParameterSpec.class);
            for (JsonNode k : root.path("keys")) {
                String kty = k.path("kty").asText();
                if ("RSA".equals(kty)) {
                    BigInteger n = new BigInteger(1, B64.decode(k.path("n").asText()));
                    BigInteger e = new BigInteger(1, B64.decode(k.path("e").asText()));
                    out.put(k.path("kid").asText(), rsa.generatePublic(new RSAPublicKeySpec(n, e)));
                } else if ("EC".equals(kty) && "P-256".equals(k.path("crv").asText())) {
                    java.security.spec.ECPoint w = new java.security.spec.ECPoint(new BigInteger(1, B64.decode(k.path("x").asText())),
                            new BigInteger(1, B64.decode(k.path("y").asText())));
                    out.put(k.path("kid").asText(), ec.generatePublic(new java.security.spec.ECPublicKeySpec(w, p256Spec)));
                }
            }
            return Map.copyOf(out);
        } catch (java.io.IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the JWKS document", e);
        }
    }

    private static String fetch(String url) {
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("JWKS endpoint answered " + response.statusCode());
            }
            return response.body();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot fetch the JWKS document from " + url, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted fetching the JWKS document", e);
        }
    }

    /**
     * The issuer's keys, fetched on first use and fetched again when a token names a key id we do not know (the
     * issuer rotated its keys), at most once a minute so that forged key ids cannot make us hammer the issuer.
     */
    static final class JwksCache implements Supplier<Map<String, PublicKey>> {
        private static final Duration REFRESH_AT_MOST = Duration.ofMinutes(1);
        private final Supplier<Map<String, PublicKey>> source;
        private final Clock clock;
        private volatile Map<String, PublicKey> keys;
        private volatile java.time.Instant fetchedAt = java.time.Instant.MIN;

        JwksCache(Supplier<Map<String, PublicKey>> source, Clock clock) {
            this.source = source;
            this.clock = clock;
        }

        @Override
        public Map<String, PublicKey> get() {
            Map<String, PublicKey> k = keys;
            return k != null ? k : refresh();
        }

        /** Fetches again if the last fetch is old enough; returns the keys either way. */
        synchronized Map<String, PublicKey> refresh() {
            java.time.Instant now = clock.instant();
            if (keys == null || fetchedAt.plus(REFRESH_AT_MOST).isBefore(now)) {
                keys = source.get();
                fetchedAt = now;
            }
            return keys;
        }
    }
}
