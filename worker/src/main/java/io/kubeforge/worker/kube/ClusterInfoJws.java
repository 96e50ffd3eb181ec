package io.kubeforge.worker.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * ClusterInfoJws computes the detached JWS that the bootstrap signer
 * ({@code k8s.io/cluster-bootstrap/token/jws.ComputeDetachedSignature}) stores under
 * {@code jws-kubeconfig-<token-id>} in {@code kube-public/cluster-info}: HS256 over the
 * {@code kubeconfig} string, protected header exactly {@code {"alg":"HS256","kid":"<id>"}}, key
 * the token secret zero-padded to 32 bytes (go-jose's minimum), compact form with the payload
 * removed ({@code header..signature}). Written by hand: it is one HMAC, and the byte-exact header
 * is what matters; a JOSE library would add a dependency to reproduce a fixed string.
 */
public final class ClusterInfoJws {
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final ObjectMapper JSON = new ObjectMapper();

  private ClusterInfoJws() {}

  /** The detached JWS of {@code content} under token {@code id}/{@code secret}. */
  public static String sign(String content, String id, String secret) {
    String header = B64.encodeToString(("{\"alg\":\"HS256\",\"kid\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8));
    String payload = B64.encodeToString(content.getBytes(StandardCharsets.UTF_8));
    byte[] raw = secret.getBytes(StandardCharsets.UTF_8);
    byte[] key = Arrays.copyOf(raw, Math.max(32, raw.length));
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      byte[] sig = mac.doFinal((header + "." + payload).getBytes(StandardCharsets.US_ASCII));
      return header + ".." + B64.encodeToString(sig);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /** What {@link #check} found. */
  public enum Verdict {
    /** The signature is the token's over the content. */
    VALID,
    /** Not a detached compact JWS ({@code header..signature}) with a JSON header. */
    MALFORMED,
    /** The header names an algorithm other than HS256 ({@code none} included). */
    WRONG_ALGORITHM,
    /** The header's {@code kid} is not the token's id. */
    WRONG_KEY_ID,
    /** Well-formed HS256 for this id, but not made with this token's secret over this content. */
    BAD_SIGNATURE
  }

  /**
   * Checks {@code jws} as a verifier must: only the detached compact form, only HS256 (the
   * header's {@code alg} is read only to say why a signature is refused: {@code none} or any
   * other algorithm is never evaluated), the token's id as {@code kid}, and then the whole string
   * compared in constant time with the one this content and token give, as kubeadm's
   * {@code DetachedTokenIsValid} compares them.
   */
  public static Verdict check(String content, String jws, String id, String secret) {
    if (jws == null) {
      return Verdict.MALFORMED;
    }
    String[] parts = jws.split("\\.", -1);
    if (parts.length != 3 || !parts[1].isEmpty() || parts[0].isEmpty()) {
      return Verdict.MALFORMED;
    }
    String alg;
    String kid;
    try {
      JsonNode header = JSON.readTree(Base64.getUrlDecoder().decode(parts[0]));
      if (header == null || !header.isObject()) {
        return Verdict.MALFORMED;
      }
      alg = header.path("alg").asText(null);
      kid = header.path("kid").asText(null);
    } catch (IllegalArgumentException | IOException e) {
      return Verdict.MALFORMED;
    }
    if (!"HS256".equals(alg)) {
      return Verdict.WRONG_ALGORITHM;
    }
    if (!id.equals(kid)) {
      return Verdict.WRONG_KEY_ID;
    }
    return verify(content, jws, id, secret) ? Verdict.VALID : Verdict.BAD_SIGNATURE;
  }

  /** The {@code alg} a detached JWS's header names, for messages; "" when unreadable. */
  public static String algorithm(String jws) {
    try {
      String header = jws.substring(0, Math.max(0, jws.indexOf('.')));
      return JSON.readTree(Base64.getUrlDecoder().decode(header)).path("alg").asText("");
    } catch (RuntimeException | IOException e) {
      return "";
    }
  }

  /** Whether {@code jws} is the detached JWS of {@code content} under the token (constant time). */
  public static boolean verify(String content, String jws, String id, String secret) {
    if (jws == null) {
      return false;
    }
    return MessageDigest.isEqual(sign(content, id, secret).getBytes(StandardCharsets.US_ASCII),
        jws.getBytes(StandardCharsets.US_ASCII));
  }
}
