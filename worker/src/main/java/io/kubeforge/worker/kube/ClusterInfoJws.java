package io.kubeforge.worker.kube;

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

  /** Whether {@code jws} is the detached JWS of {@code content} under the token (constant time). */
  public static boolean verify(String content, String jws, String id, String secret) {
    if (jws == null) {
      return false;
    }
    return MessageDigest.isEqual(sign(content, id, secret).getBytes(StandardCharsets.US_ASCII),
        jws.getBytes(StandardCharsets.US_ASCII));
  }
}
