package dev.sluice.adapters.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.adapters.json.Json;
import dev.sluice.core.auth.Principal;
import dev.sluice.core.error.DomainException;
import dev.sluice.core.error.ErrorCode;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class JwtVerifierTest {
    private static final String ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool";
    private static final String AUDIENCE = "client-123";
    private static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static KeyPair key;
    private static KeyPair otherKey;
    private static JwtVerifier verifier;

    @BeforeAll
    static void keys() throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048);
        key = gen.generateKeyPair();
        otherKey = gen.generateKeyPair();
        Map<String, PublicKey> keys = Map.of("k1", key.getPublic());
        verifier = new JwtVerifier(ISSUER, AUDIENCE, () -> keys, Clock.fixed(NOW, ZoneOffset.UTC));
    }

    private static Map<String, Object> claims() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("iss", ISSUER);
        c.put("aud", AUDIENCE);
        c.put("sub", "user-1");
        c.put("cognito:username", "alice");
        c.put("cognito:groups", List.of("users", "admin"));
        c.put("exp", NOW.plusSeconds(600).getEpochSecond());
        return c;
    }

    private static String sign(Map<String, Object> header, Map<String, Object> claims, KeyPair with) throws Exception {
        String input = B64.encodeToString(Json.write(header).getBytes(StandardCharsets.UTF_8)) + "."
                + B64.encodeToString(Json.write(claims).getBytes(StandardCharsets.UTF_8));
        Signature rsa = Signature.getInstance("SHA256withRSA");
        rsa.initSign(with.getPrivate());
        rsa.update(input.getBytes(StandardCharsets.US_ASCII));
        return input + "." + B64.encodeToString(rsa.sign());
    }

    private static String token(Map<String, Object> claims) throws Exception {
        return sign(Map.of("alg", "RS256", "kid", "k1"), claims, key);
    }

    private static void assertRefused(String header) {
        assertThatThrownBy(() -> verifier.verifyHeader(header))
                .isInstanceOf(DomainException.class)
                .satisfies(e -> assertThat(((DomainException) e).code()).isEqualTo(ErrorCode.UNAUTHENTICATED));
    }

    @Test
    void aValidTokenGivesThePrincipalWithItsGroups() throws Exception {
        Principal p = verifier.verifyHeader("Bearer " + token(claims()));
        assertThat(p.subject()).isEqualTo("user-1");
        assertThat(p.username()).isEqualTo("alice");
        assertThat(p.isAdmin()).isTrue();
    }

    @Test
    void anAccessTokenWithClientIdIsAccepted() throws Exception {
        Map<String, Object> c = claims();
        c.remove("aud");
        c.put("client_id", AUDIENCE);
        c.remove("cognito:groups");
        assertThat(verifier.verifyHeader("Bearer " + token(c)).isAdmin()).isFalse();
    }

    @Test
    void missingOrMalformedHeadersAreRefused() {
        assertRefused(null);
        assertRefused("");
        assertRefused("Basic dXNlcjpwYXNz");
        assertRefused("Bearer not-a-jwt");
        assertRefused("Bearer a.b.c");
    }

    @Test
    void expiredTokensAreRefused() throws Exception {
        Map<String, Object> c = claims();
        c.put("exp", NOW.minusSeconds(120).getEpochSecond());
        assertRefused("Bearer " + token(c));
    }

    @Test
    void tokensFromAnotherIssuerOrForAnotherAudienceAreRefused() throws Exception {
        Map<String, Object> c = claims();
        c.put("iss", "https://evil.example");
        assertRefused("Bearer " + token(c));
        Map<String, Object> d = claims();
        d.put("aud", "another-client");
        assertRefused("Bearer " + token(d));
    }

    @Test
    void aTokenSignedByAnotherKeyOrTamperedWithIsRefused() throws Exception {
        assertRefused("Bearer " + sign(Map.of("alg", "RS256", "kid", "k1"), claims(), otherKey));
        String good = token(claims());
        String[] parts = good.split("\\.");
        Map<String, Object> c = claims();
        c.put("cognito:groups", List.of("admin"));
        String forged = parts[0] + "." + B64.encodeToString(Json.write(c).getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
        assertRefused("Bearer " + forged);
    }

    @Test
    void unsignedOrUnknownKeyTokensAreRefused() throws Exception {
        String none = B64.encodeToString("{\"alg\":\"none\",\"kid\":\"k1\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + B64.encodeToString(Json.write(claims()).getBytes(StandardCharsets.UTF_8)) + ".";
        assertRefused("Bearer " + none);
        assertRefused("Bearer " + sign(Map.of("alg", "RS256", "kid", "k2"), claims(), key));
    }

    @Test
    void es256TokensFromAP256KeyAreAcceptedAndAnRsaKeyIdCannotBeReusedForThem() throws Exception {
        KeyPairGenerator ecGen = KeyPairGenerator.getInstance("EC");
        ecGen.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        KeyPair ecKey = ecGen.generateKeyPair();
        java.security.interfaces.ECPublicKey pub = (java.security.interfaces.ECPublicKey) ecKey.getPublic();
        String jwks = Json.write(Map.of("keys", List.of(Map.of("kty", "EC", "crv", "P-256", "kid", "e1",
                "x", B64.encodeToString(unsigned32(pub.getW().getAffineX())), "y", B64.encodeToString(unsigned32(pub.getW().getAffineY()))),
                Map.of("kty", "RSA", "kid", "k1", "n", B64.encodeToString(((RSAPublicKey) key.getPublic()).getModulus().toByteArray()),
                        "e", B64.encodeToString(((RSAPublicKey) key.getPublic()).getPublicExponent().toByteArray())))));
        Map<String, PublicKey> keys = JwtVerifier.parseJwks(jwks);
        JwtVerifier both = new JwtVerifier(ISSUER, AUDIENCE, () -> keys, Clock.fixed(NOW, ZoneOffset.UTC));
        String input = B64.encodeToString(Json.write(Map.of("alg", "ES256", "kid", "e1")).getBytes(StandardCharsets.UTF_8)) + "."
                + B64.encodeToString(Json.write(claims()).getBytes(StandardCharsets.UTF_8));
        Signature ecdsa = Signature.getInstance("SHA256withECDSAinP1363Format");
        ecdsa.initSign(ecKey.getPrivate());
        ecdsa.update(input.getBytes(StandardCharsets.US_ASCII));
        String es256 = input + "." + B64.encodeToString(ecdsa.sign());
        assertThat(both.verifyHeader("Bearer " + es256).subject()).isEqualTo("user-1");
        String confused = B64.encodeToString(Json.write(Map.of("alg", "ES256", "kid", "k1")).getBytes(StandardCharsets.UTF_8))
                + es256.substring(es256.indexOf('.'));
        assertThatThrownBy(() -> both.verifyHeader("Bearer " + confused)).isInstanceOf(DomainException.class);
    }

    private static byte[] unsigned32(java.math.BigInteger v) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[32];
        int copy = Math.min(32, raw.length);
        System.arraycopy(raw, raw.length - copy, out, 32 - copy, copy);
        return out;
    }

    /** A clock the test moves by hand. */
    private static final class HandClock extends Clock {
        private Instant now = NOW;

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void rotatedKeysAreFetchedAgainOnAnUnknownKeyIdButAtMostOnceAMinute() throws Exception {
        HandClock clock = new HandClock();
        java.util.concurrent.atomic.AtomicInteger fetches = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<Map<String, PublicKey>> published =
                new java.util.concurrent.atomic.AtomicReference<>(Map.of("old", otherKey.getPublic()));
        JwtVerifier.JwksCache cache = new JwtVerifier.JwksCache(() -> {
            fetches.incrementAndGet();
            return published.get();
        }, clock);
        JwtVerifier rotating = new JwtVerifier(ISSUER, AUDIENCE, cache, clock);
        assertRefused(rotating, "Bearer " + token(claims()));
        assertThat(fetches.get()).as("first use, then no second fetch within the minute").isEqualTo(1);
        published.set(Map.of("old", otherKey.getPublic(), "k1", key.getPublic()));
        clock.now = NOW.plusSeconds(61);
        assertThat(rotating.verifyHeader("Bearer " + token(claims())).subject()).isEqualTo("user-1");
        assertThat(fetches.get()).isEqualTo(2);
        assertThat(rotating.verifyHeader("Bearer " + token(claims())).subject()).isEqualTo("user-1");
        assertThat(fetches.get()).as("a known key needs no fetch").isEqualTo(2);
    }

    private static void assertRefused(JwtVerifier v, String header) {
        assertThatThrownBy(() -> v.verifyHeader(header)).isInstanceOf(DomainException.class);
    }

    @Test
    void jwksDocumentsAreParsedIntoKeysById() {
        RSAPublicKey pub = (RSAPublicKey) key.getPublic();
        String jwks = Json.write(Map.of("keys", List.of(Map.of("kty", "RSA", "kid", "k1",
                "n", B64.encodeToString(pub.getModulus().toByteArray()), "e", B64.encodeToString(pub.getPublicExponent().toByteArray())))));
        Map<String, PublicKey> keys = JwtVerifier.parseJwks(jwks);
        assertThat(keys).containsOnlyKeys("k1");
        assertThat(((RSAPublicKey) keys.get("k1")).getModulus()).isEqualTo(pub.getModulus());
    }
}
