package io.kubeforge.worker.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** kubeadm's EncryptBytes layout: nonce(12) || ciphertext || tag(16), no additional data. */
class AesGcmTest {
  private static final byte[] KEY = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

  @Test
  void sealsExactlyAsGosGcmSealWithTheSameNonce() {
    byte[] nonce = HexFormat.of().parseHex("000000000000000000000001");
    byte[] sealed = AesGcm.seal("-----BEGIN CERTIFICATE-----\n".getBytes(StandardCharsets.US_ASCII), KEY, nonce);
    assertThat(HexFormat.of().formatHex(sealed)).isEqualTo("00000000000000000000000138fb92d169b675594760717aa9f46ebe"
        + "53d65f1530f779a95e2d2ed35c21230e6dc366f1e89a0e762bfa7ed2");
  }

  @Test
  void opensWhatItSealsWithAFreshNonceEachTime() {
    byte[] data = "sa.key bytes".getBytes(StandardCharsets.US_ASCII);
    byte[] a = AesGcm.seal(data, KEY);
    byte[] b = AesGcm.seal(data, KEY);
    assertThat(a).hasSize(12 + data.length + 16).isNotEqualTo(b);
    assertThat(AesGcm.open(a, KEY)).isEqualTo(data);
  }

  @Test
  void aWrongKeyOrShortDataIsRefused() {
    byte[] sealed = AesGcm.seal(new byte[] {1, 2, 3}, KEY);
    byte[] other = KEY.clone();
    other[0] ^= 1;
    assertThatThrownBy(() -> AesGcm.open(sealed, other)).hasMessageContaining("authentication failed");
    assertThatThrownBy(() -> AesGcm.open(new byte[5], KEY)).hasMessageContaining("less than the nonce size");
  }
}
