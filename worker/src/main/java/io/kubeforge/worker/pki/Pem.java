package io.kubeforge.worker.pki;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.RSAPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * Pem writes and reads the PEM forms kubeadm (client-go {@code keyutil}/{@code certutil}) uses:
 * {@code CERTIFICATE}; private keys as PKCS#1 {@code RSA PRIVATE KEY} or SEC 1
 * {@code EC PRIVATE KEY} with the named curve and public key, never PKCS#8; {@code PUBLIC KEY}
 * (PKIX) for {@code sa.pub}. Readers also accept unencrypted PKCS#8 {@code PRIVATE KEY} and skip
 * other blocks such as {@code EC PARAMETERS}. Error messages never quote the input.
 */
public final class Pem {
  /** PEM type of certificates. */
  public static final String CERTIFICATE = "CERTIFICATE";
  /** PEM type of PKCS#1 RSA private keys. */
  public static final String RSA_PRIVATE_KEY = "RSA PRIVATE KEY";
  /** PEM type of SEC 1 EC private keys. */
  public static final String EC_PRIVATE_KEY = "EC PRIVATE KEY";
  /** PEM type of unencrypted PKCS#8 private keys (read only). */
  public static final String PRIVATE_KEY = "PRIVATE KEY";
  /** PEM type of PKIX public keys. */
  public static final String PUBLIC_KEY = "PUBLIC KEY";

  private static final Pattern BLOCK = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]{1,40})-----\\r?\\n(.*?)-----END \\1-----", Pattern.DOTALL);

  private Pem() {}

  /** Block is one decoded PEM block: its type and DER bytes. */
  public record Block(String type, byte[] der) {}

  /** Encodes one block with 64-character lines and a trailing newline, as Go's pem.Encode. */
  public static String encode(String type, byte[] der) {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }

  /**
   * Decodes every PEM block in {@code text}; text around blocks is ignored. Blocks with headers
   * (encrypted keys) are refused.
   */
  public static List<Block> decode(byte[] text) {
    String s = new String(text, StandardCharsets.US_ASCII);
    List<Block> out = new ArrayList<>();
    Matcher m = BLOCK.matcher(s);
    while (m.find()) {
      String body = m.group(2);
      if (body.contains(":")) {
        throw new IllegalArgumentException("PEM block " + m.group(1)
            + " has headers (encrypted keys are not supported)");
      }
      try {
        out.add(new Block(m.group(1), Base64.getMimeDecoder().decode(body.strip())));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("PEM block " + m.group(1) + " is not valid base64");
      }
    }
    return out;
  }

  /** Encodes a certificate as a {@code CERTIFICATE} block. */
  public static String encodeCertificate(X509Certificate cert) {
    try {
      return encode(CERTIFICATE, cert.getEncoded());
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("couldn't encode certificate", e);
    }
  }

  /** Encodes a public key as a PKIX {@code PUBLIC KEY} block. */
  public static String encodePublicKey(PublicKey key) {
    return encode(PUBLIC_KEY, key.getEncoded());
  }

  /**
   * Encodes a private key as kubeadm writes it: PKCS#1 {@code RSA PRIVATE KEY} or SEC 1
   * {@code EC PRIVATE KEY} (version 1, fixed-length scalar, named curve, public key).
   */
  public static String encodePrivateKey(PrivateKey key) {
    try {
      PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getEncoded());
      if (key instanceof ECPrivateKey ec) {
        ECPublicKey pub = (ECPublicKey) KeyPairs.publicKeyOf(key);
        SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(pub.getEncoded());
        int orderBits = ec.getParams().getOrder().bitLength();
        org.bouncycastle.asn1.sec.ECPrivateKey sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(
            orderBits, ec.getS(), new DERBitString(spki.getPublicKeyData().getBytes()),
            info.getPrivateKeyAlgorithm().getParameters());
        return encode(EC_PRIVATE_KEY, sec1.getEncoded("DER"));
      }
      if (info.getPrivateKeyAlgorithm().getAlgorithm().equals(PKCSObjectIdentifiers.rsaEncryption)) {
        return encode(RSA_PRIVATE_KEY, info.parsePrivateKey().toASN1Primitive().getEncoded("DER"));
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("couldn't encode private key", e);
    }
    throw new IllegalArgumentException("private key is neither in RSA nor ECDSA format");
  }

  /**
   * Reads the first private key in a PEM file ({@code RSA PRIVATE KEY}, {@code EC PRIVATE KEY}
   * or unencrypted {@code PRIVATE KEY}), skipping other blocks.
   *
   * @throws IllegalArgumentException when there is no key or it is neither RSA nor ECDSA
   */
  public static PrivateKey parsePrivateKey(byte[] pem) {
    for (Block b : decode(pem)) {
      try {
        PrivateKey key = privateKey(b);
        if (key != null) {
          return key;
        }
      } catch (IllegalArgumentException e) {
        throw e;
      } catch (RuntimeException e) {
        // BouncyCastle's structure errors; never echo the input
        throw new IllegalArgumentException(b.type() + " block is not a valid key structure");
      }
    }
    throw new IllegalArgumentException("no private key found (expected an RSA PRIVATE KEY, "
        + "EC PRIVATE KEY or PRIVATE KEY block)");
  }

  private static PrivateKey privateKey(Block b) {
    switch (b.type()) {
      case RSA_PRIVATE_KEY:
        return pkcs8("RSA", wrap(new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption,
            org.bouncycastle.asn1.DERNull.INSTANCE), RSAPrivateKey.getInstance(asn1(b.der()))));
      case EC_PRIVATE_KEY: {
        org.bouncycastle.asn1.sec.ECPrivateKey sec1 =
            org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(asn1(b.der()));
        if (sec1.getParametersObject() == null) {
          throw new IllegalArgumentException("EC private key does not name its curve");
        }
        return pkcs8("EC", wrap(new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey,
            sec1.getParametersObject()), sec1));
      }
      case PRIVATE_KEY: {
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(asn1(b.der()));
        var alg = info.getPrivateKeyAlgorithm().getAlgorithm();
        if (alg.equals(PKCSObjectIdentifiers.rsaEncryption)) {
          return pkcs8("RSA", b.der());
        }
        if (alg.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
          return pkcs8("EC", b.der());
        }
        throw new IllegalArgumentException("private key is neither in RSA nor ECDSA format");
      }
      default:
        // EC PARAMETERS and anything else: skipped, as client-go's ParsePrivateKeyPEM does
        return null;
    }
  }

  /** Reads all {@code CERTIFICATE} blocks in order; the first is the leaf. */
  public static List<X509Certificate> parseCertificates(byte[] pem) {
    List<X509Certificate> out = new ArrayList<>();
    try {
      java.security.cert.CertificateFactory cf = java.security.cert.CertificateFactory.getInstance("X.509");
      for (Block b : decode(pem)) {
        if (b.type().equals(CERTIFICATE)) {
          out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(b.der())));
        }
      }
    } catch (CertificateException e) {
      throw new IllegalArgumentException("certificate is not valid DER: " + e.getMessage());
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no CERTIFICATE block found");
    }
    return out;
  }

  /** Reads all {@code PUBLIC KEY} blocks (RSA or ECDSA) in order. */
  public static List<PublicKey> parsePublicKeys(byte[] pem) {
    List<PublicKey> out = new ArrayList<>();
    for (Block b : decode(pem)) {
      if (!b.type().equals(PUBLIC_KEY)) {
        continue;
      }
      SubjectPublicKeyInfo spki;
      try {
        spki = SubjectPublicKeyInfo.getInstance(asn1(b.der()));
      } catch (IllegalArgumentException e) {
        throw e;
      } catch (RuntimeException e) {
        // BouncyCastle's structure errors; never echo the input
        throw new IllegalArgumentException("PUBLIC KEY block is not a valid key structure");
      }
      var alg = spki.getAlgorithm().getAlgorithm();
      String jca = alg.equals(PKCSObjectIdentifiers.rsaEncryption) ? "RSA"
          : alg.equals(X9ObjectIdentifiers.id_ecPublicKey) ? "EC" : null;
      if (jca == null) {
        throw new IllegalArgumentException("public key is neither in RSA nor ECDSA format");
      }
      try {
        out.add(KeyFactory.getInstance(jca).generatePublic(new X509EncodedKeySpec(b.der())));
      } catch (GeneralSecurityException e) {
        throw new IllegalArgumentException("public key is not valid: " + e.getMessage());
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no PUBLIC KEY block found");
    }
    return out;
  }

  private static ASN1Primitive asn1(byte[] der) {
    ASN1Primitive p;
    try {
      p = ASN1Primitive.fromByteArray(der);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("key is not valid DER");
    }
    if (p == null) {
      // an empty block: BouncyCastle reads it as no object at all
      throw new IllegalArgumentException("key block is empty (not a valid key structure)");
    }
    return p;
  }

  private static byte[] wrap(AlgorithmIdentifier alg, org.bouncycastle.asn1.ASN1Encodable key) {
    try {
      return new PrivateKeyInfo(alg, key).getEncoded("DER");
    } catch (IOException e) {
      throw new IllegalArgumentException("key is not valid DER");
    }
  }

  private static PrivateKey pkcs8(String jca, byte[] der) {
    PrivateKey key;
    try {
      key = KeyFactory.getInstance(jca).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException | RuntimeException e) {
      // the JDK message may describe the key; keep ours generic
      throw new IllegalArgumentException("private key could not be parsed as " + jca);
    }
    if (key instanceof ECPrivateKey ec
        && (ec.getS().signum() <= 0 || ec.getS().compareTo(ec.getParams().getOrder()) >= 0)) {
      // as Go's x509.ParseECPrivateKey: the scalar must be in [1, n-1] (zero has no public key)
      throw new IllegalArgumentException("invalid elliptic curve private key value");
    }
    return key;
  }
}
