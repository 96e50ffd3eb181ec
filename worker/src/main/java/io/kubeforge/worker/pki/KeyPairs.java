package io.kubeforge.worker.pki;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.jcajce.provider.asymmetric.util.EC5Util;
import org.bouncycastle.math.ec.ECCurve;

/**
 * KeyPairs creates private keys of a {@link KeyAlgorithm} and answers the two questions the PKI
 * phase asks of keys on disk: what is the public half, and does it belong to this certificate.
 * Generation goes through a {@link KeySource} so tests can hand out pre-generated keys, as
 * kubeadm's {@code pkiutil/testing} does.
 */
public final class KeyPairs {
  private KeyPairs() {}

  /** KeySource hands out a fresh key pair of the asked algorithm. */
  @FunctionalInterface
  public interface KeySource {
    /** Returns a new key pair; implementations must be safe to call from several threads. */
    KeyPair next(KeyAlgorithm algorithm);

    /** Returns {@code count} new key pairs, in order; by default one after the other. */
    default List<KeyPair> next(KeyAlgorithm algorithm, int count) {
      List<KeyPair> out = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        out.add(next(algorithm));
      }
      return out;
    }
  }

  /**
   * Returns the production source, the worker's {@link KeyPool}: RSA-2048 keys made ahead in
   * idle time once its filler runs (Main starts it), else, and for every other algorithm, new
   * keys from the JDK providers and a {@link SecureRandom}, a batch on every core at once (RSA
   * key generation dominates a cold tree: about 130 ms a 2048-bit key on one core, and a tree
   * needs eleven).
   */
  public static KeySource secure() {
    return KeyPool.shared();
  }

  /**
   * Generates a key pair (RSA with exponent 65537, EC on the named curve). RSA comes from the
   * JDK's generator, the faster one measured on this project's 2-core machine (CPU time per
   * RSA-2048 key, median of 60, two runs): the JDK 127 and 140 ms; Bouncy Castle's
   * RSAKeyPairGenerator 219 and 219 ms at the JDK's prime certainty (100), 155 and 201 ms at its
   * own default (112).
   */
  public static KeyPair generate(KeyAlgorithm algorithm) {
    try {
      KeyPairGenerator gen = KeyPairGenerator.getInstance(algorithm.jcaName());
      if (algorithm.jcaName().equals("RSA")) {
        gen.initialize(new RSAKeyGenParameterSpec(algorithm.bits(), RSAKeyGenParameterSpec.F4), new SecureRandom());
      } else {
        gen.initialize(new ECGenParameterSpec(algorithm.curveName()), new SecureRandom());
      }
      return gen.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("couldn't generate a " + algorithm.id() + " key", e);
    }
  }

  /**
   * Derives the public key of an RSA (CRT form, as every PEM-encoded key is) or EC private key.
   */
  public static PublicKey publicKeyOf(PrivateKey key) {
    try {
      if (key instanceof RSAPrivateCrtKey rsa) {
        return KeyFactory.getInstance("RSA").generatePublic(
            new RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent()));
      }
      if (key instanceof ECPrivateKey ec) {
        org.bouncycastle.jce.spec.ECParameterSpec spec = EC5Util.convertSpec(ec.getParams());
        org.bouncycastle.math.ec.ECPoint q = spec.getG().multiply(ec.getS()).normalize();
        ECPoint w = new ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger());
        return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, ec.getParams()));
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("couldn't derive the public key", e);
    }
    throw new IllegalArgumentException("private key is neither in RSA nor ECDSA format");
  }

  /** Tells whether a private key is the other half of {@code publicKey}. */
  public static boolean matches(PrivateKey privateKey, PublicKey publicKey) {
    if (privateKey instanceof RSAPrivateCrtKey rsa && publicKey instanceof RSAPublicKey pub) {
      return rsa.getModulus().equals(pub.getModulus())
          && rsa.getPublicExponent().equals(pub.getPublicExponent());
    }
    if (privateKey instanceof ECPrivateKey && publicKey instanceof ECPublicKey pub) {
      ECPublicKey derived = (ECPublicKey) publicKeyOf(privateKey);
      ECCurve a = EC5Util.convertCurve(derived.getParams().getCurve());
      ECCurve b = EC5Util.convertCurve(pub.getParams().getCurve());
      BigInteger ax = derived.getW().getAffineX();
      return a.equals(b) && ax.equals(pub.getW().getAffineX())
          && derived.getW().getAffineY().equals(pub.getW().getAffineY());
    }
    return false;
  }
}
