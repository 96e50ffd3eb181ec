package io.kubeforge.worker.pki;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.HexFormat;

/**
 * CaCertHash computes kubeadm's CA public-key pin ({@code util/pubkeypin}):
 * {@code sha256:} followed by the lower-case hex SHA-256 of the certificate's DER
 * SubjectPublicKeyInfo, as passed to {@code kubeadm join --discovery-token-ca-cert-hash}.
 */
public final class CaCertHash {
  /** The only pin format kubeadm accepts. */
  public static final String PREFIX = "sha256:";

  private CaCertHash() {}

  /** Returns the pin of a certificate's public key. */
  public static String of(X509Certificate cert) {
    return of(cert.getPublicKey());
  }

  /** Returns the pin of a public key (hash of {@code getEncoded()}, the SPKI DER). */
  public static String of(PublicKey key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
      return PREFIX + HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }
}
