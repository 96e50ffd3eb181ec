package io.kubeforge.worker.pki;

import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * KeyAlgorithm lists the key types kubeadm's {@code encryptionAlgorithm} allows, under the same
 * names, together with the signature algorithm a certificate signed by such a key gets (Go picks
 * it from the issuer key: SHA-256 for RSA and P-256, SHA-384 for P-384).
 */
public enum KeyAlgorithm {
  RSA_2048("RSA-2048", "RSA", 2048, "SHA256withRSA"),
  RSA_3072("RSA-3072", "RSA", 3072, "SHA256withRSA"),
  RSA_4096("RSA-4096", "RSA", 4096, "SHA256withRSA"),
  ECDSA_P256("ECDSA-P256", "EC", 256, "SHA256withECDSA"),
  ECDSA_P384("ECDSA-P384", "EC", 384, "SHA384withECDSA");

  /** kubeadm's default. */
  public static final KeyAlgorithm DEFAULT = RSA_2048;

  private final String id;
  private final String jcaName;
  private final int bits;
  private final String signatureAlgorithm;

  KeyAlgorithm(String id, String jcaName, int bits, String signatureAlgorithm) {
    this.id = id;
    this.jcaName = jcaName;
    this.bits = bits;
    this.signatureAlgorithm = signatureAlgorithm;
  }

  /** Returns kubeadm's name, e.g. {@code RSA-2048}. */
  public String id() {
    return id;
  }

  /** Returns the JCA key algorithm, {@code RSA} or {@code EC}. */
  public String jcaName() {
    return jcaName;
  }

  /** Returns the RSA modulus size or the EC field size in bits. */
  public int bits() {
    return bits;
  }

  /** Returns the JCA name of the signature a key of this type makes. */
  public String signatureAlgorithm() {
    return signatureAlgorithm;
  }

  /** Returns the JCA curve name for EC keys ({@code secp256r1}, {@code secp384r1}). */
  public String curveName() {
    return bits == 256 ? "secp256r1" : "secp384r1";
  }

  /** Finds an algorithm by kubeadm's name (exact, case-sensitive as kubeadm). */
  public static Optional<KeyAlgorithm> byId(String id) {
    return Arrays.stream(values()).filter(a -> a.id.equals(id)).findFirst();
  }

  /** Lists the accepted names, for error messages. */
  public static String ids() {
    return Arrays.stream(values()).map(KeyAlgorithm::id).collect(Collectors.joining(", "));
  }

  /**
   * Classifies an existing public key; empty for key types or sizes outside this list (an RSA
   * 1024 key, a P-521 key).
   */
  public static Optional<KeyAlgorithm> of(PublicKey key) {
    if (key instanceof RSAPublicKey rsa) {
      int size = rsa.getModulus().bitLength();
      return Arrays.stream(values()).filter(a -> a.jcaName.equals("RSA") && a.bits == size).findFirst();
    }
    if (key instanceof ECPublicKey ec) {
      int size = ec.getParams().getCurve().getField().getFieldSize();
      return Arrays.stream(values()).filter(a -> a.jcaName.equals("EC") && a.bits == size).findFirst();
    }
    return Optional.empty();
  }

  /**
   * Returns the signature algorithm an issuer with this public key uses: SHA-256 for RSA of any
   * size and P-256, SHA-384 for P-384, SHA-512 for P-521 (as Go does for keys it did not make).
   */
  public static String signatureAlgorithmFor(PublicKey issuerKey) {
    if (issuerKey instanceof ECPublicKey ec) {
      int size = ec.getParams().getCurve().getField().getFieldSize();
      return size <= 256 ? "SHA256withECDSA" : size <= 384 ? "SHA384withECDSA" : "SHA512withECDSA";
    }
    if (issuerKey instanceof RSAPublicKey) {
      return "SHA256withRSA";
    }
    throw new IllegalArgumentException("issuer key is neither RSA nor ECDSA");
  }

  /** Describes a public key for diffs, e.g. {@code RSA-2048} or {@code RSA-1024}. */
  public static String describe(PublicKey key) {
    return of(key).map(KeyAlgorithm::id).orElseGet(() -> {
      if (key instanceof RSAPublicKey rsa) {
        return "RSA-" + rsa.getModulus().bitLength();
      }
      if (key instanceof ECPublicKey ec) {
        return "ECDSA-P" + ec.getParams().getCurve().getField().getFieldSize();
      }
      return key.getAlgorithm();
    });
  }
}
