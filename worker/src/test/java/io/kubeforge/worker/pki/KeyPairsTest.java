package io.kubeforge.worker.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.KeyPair;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class KeyPairsTest {
  static Stream<Arguments> algorithms() {
    return Stream.of(
        Arguments.of("RSA-2048 gives a 2048-bit modulus with exponent 65537", KeyAlgorithm.RSA_2048),
        Arguments.of("ECDSA-P256 gives a key on P-256", KeyAlgorithm.ECDSA_P256),
        Arguments.of("ECDSA-P384 gives a key on P-384", KeyAlgorithm.ECDSA_P384));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("algorithms")
  void generatesKeysOfTheAskedAlgorithm(String name, KeyAlgorithm alg) {
    KeyPair kp = KeyPairs.generate(alg);
    assertThat(KeyAlgorithm.of(kp.getPublic())).contains(alg);
    if (kp.getPublic() instanceof RSAPublicKey rsa) {
      assertThat(rsa.getPublicExponent().intValue()).isEqualTo(65537);
    }
    assertThat(KeyPairs.publicKeyOf(kp.getPrivate())).isEqualTo(kp.getPublic());
    assertThat(KeyPairs.matches(kp.getPrivate(), kp.getPublic())).isTrue();
  }

  @Test
  void fixtureSourceCoversLargerRsaSizes() {
    FixtureKeys keys = new FixtureKeys();
    assertThat(((RSAPublicKey) keys.next(KeyAlgorithm.RSA_3072).getPublic()).getModulus().bitLength()).isEqualTo(3072);
    assertThat(((RSAPublicKey) keys.next(KeyAlgorithm.RSA_4096).getPublic()).getModulus().bitLength()).isEqualTo(4096);
  }

  @Test
  void keysOfOtherPairsDoNotMatch() {
    KeyPair a = FixtureKeys.rsa2048(1);
    KeyPair b = FixtureKeys.rsa2048(2);
    KeyPair ec = KeyPairs.generate(KeyAlgorithm.ECDSA_P256);
    KeyPair ec2 = KeyPairs.generate(KeyAlgorithm.ECDSA_P256);
    assertThat(KeyPairs.matches(a.getPrivate(), b.getPublic())).isFalse();
    assertThat(KeyPairs.matches(a.getPrivate(), ec.getPublic())).isFalse();
    assertThat(KeyPairs.matches(ec.getPrivate(), ec2.getPublic())).isFalse();
    assertThat(KeyPairs.matches(ec.getPrivate(), KeyPairs.generate(KeyAlgorithm.ECDSA_P384).getPublic())).isFalse();
  }

  @Test
  void classifiesKeysOutsideKubeadmsList() {
    var rsa1024 = KeyPairs.publicKeyOf(Pem.parsePrivateKey(FixtureKeys.bytes("rsa1024.key")));
    var p521 = (ECPublicKey) KeyPairs.publicKeyOf(Pem.parsePrivateKey(FixtureKeys.bytes("sec1-p521.key")));
    assertThat(KeyAlgorithm.of(rsa1024)).isEmpty();
    assertThat(KeyAlgorithm.describe(rsa1024)).isEqualTo("RSA-1024");
    assertThat(KeyAlgorithm.describe(p521)).isEqualTo("ECDSA-P521");
    assertThat(KeyAlgorithm.signatureAlgorithmFor(p521)).isEqualTo("SHA512withECDSA");
  }

  @Test
  void algorithmsAreFoundByKubeadmsNamesOnly() {
    assertThat(KeyAlgorithm.byId("ECDSA-P384")).contains(KeyAlgorithm.ECDSA_P384);
    assertThat(KeyAlgorithm.byId("rsa-2048")).isEmpty();
    assertThat(KeyAlgorithm.ids()).isEqualTo("RSA-2048, RSA-3072, RSA-4096, ECDSA-P256, ECDSA-P384");
  }
}
