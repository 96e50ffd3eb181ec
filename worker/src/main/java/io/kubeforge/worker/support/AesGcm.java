package io.kubeforge.worker.support;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AesGcm seals and opens data as kubeadm's {@code util/crypto} {@code EncryptBytes}/{@code
 * DecryptBytes} do for the {@code kubeadm-certs} Secret: AES-GCM with a random 12-byte nonce, no
 * additional data, 16-byte tag, output {@code nonce || ciphertext || tag} (Go's
 * {@code gcm.Seal(nonce, nonce, data, nil)}).
 */
public final class AesGcm {
  /** GCM's standard nonce size, as Go's {@code NewGCM}. */
  public static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private AesGcm() {}

  /** Seals {@code data} under {@code key} (16, 24 or 32 bytes) with a fresh random nonce. */
  public static byte[] seal(byte[] data, byte[] key) {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    return seal(data, key, nonce);
  }

  /** Seals with a given nonce (for test vectors only: never reuse a nonce under one key). */
  static byte[] seal(byte[] data, byte[] key, byte[] nonce) {
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
      byte[] sealed = c.doFinal(data);
      byte[] out = Arrays.copyOf(nonce, NONCE_BYTES + sealed.length);
      System.arraycopy(sealed, 0, out, NONCE_BYTES, sealed.length);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  /**
   * Opens what {@link #seal} made.
   *
   * @throws IllegalArgumentException when the data is too short or was not sealed under this key
   */
  public static byte[] open(byte[] sealed, byte[] key) {
    if (sealed.length < NONCE_BYTES + TAG_BITS / 8) {
      throw new IllegalArgumentException("size of data is less than the nonce size");
    }
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"),
          new GCMParameterSpec(TAG_BITS, sealed, 0, NONCE_BYTES));
      return c.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
    } catch (javax.crypto.AEADBadTagException e) {
      throw new IllegalArgumentException("message authentication failed (wrong key or corrupted data)");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }
}
