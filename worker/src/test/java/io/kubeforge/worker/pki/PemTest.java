package io.kubeforge.worker.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PemTest {
  static Stream<Arguments> writtenForms() {
    return Stream.of(
        Arguments.of("RSA keys are written as PKCS#1", KeyAlgorithm.RSA_2048, "RSA PRIVATE KEY"),
        Arguments.of("P-256 keys are written as SEC 1", KeyAlgorithm.ECDSA_P256, "EC PRIVATE KEY"),
        Arguments.of("P-384 keys are written as SEC 1", KeyAlgorithm.ECDSA_P384, "EC PRIVATE KEY"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("writtenForms")
  void privateKeysRoundTripInKubeadmsForm(String name, KeyAlgorithm alg, String type) {
    KeyPair kp = new FixtureKeys().next(alg);
    String pem = Pem.encodePrivateKey(kp.getPrivate());
    assertThat(pem).startsWith("-----BEGIN " + type + "-----\n").endsWith("-----END " + type + "-----\n");
    assertThat(pem.lines().filter(l -> !l.startsWith("-----"))).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(64));
    PrivateKey back = Pem.parsePrivateKey(pem.getBytes(StandardCharsets.US_ASCII));
    assertThat(KeyPairs.matches(back, kp.getPublic())).isTrue();
    if (back instanceof ECPrivateKey ec) {
      assertThat(ec.getS()).isEqualTo(((ECPrivateKey) kp.getPrivate()).getS());
    } else {
      assertThat(back).isEqualTo(kp.getPrivate());
    }
  }

  @Test
  void sec1KeysNameTheirCurveAndCarryThePublicKey() {
    KeyPair kp = KeyPairs.generate(KeyAlgorithm.ECDSA_P256);
    byte[] der = Pem.decode(Pem.encodePrivateKey(kp.getPrivate()).getBytes(StandardCharsets.US_ASCII)).get(0).der();
    org.bouncycastle.asn1.sec.ECPrivateKey sec1 = org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(der);
    assertThat(sec1.getParametersObject().toString()).isEqualTo("1.2.840.10045.3.1.7");
    assertThat(sec1.getPublicKey()).isNotNull();
  }

  static Stream<Arguments> readForms() {
    return Stream.of(
        Arguments.of("PKCS#1 RSA written by openssl genrsa -traditional", "rsa2048-1.key", "RSA"),
        Arguments.of("PKCS#8 RSA written by openssl genpkey", "pkcs8-rsa2048.key", "RSA"),
        Arguments.of("PKCS#8 EC written by openssl genpkey", "pkcs8-p256.key", "EC"),
        Arguments.of("SEC 1 EC after an EC PARAMETERS block", "sec1-params-p384.key", "EC"),
        Arguments.of("SEC 1 P-521, a curve kubeadm does not generate", "sec1-p521.key", "EC"));
  }

  @ParameterizedTest(name = "reads {0}")
  @MethodSource("readForms")
  void readsAllThreePrivateKeyForms(String name, String file, String alg) {
    PrivateKey key = Pem.parsePrivateKey(FixtureKeys.bytes(file));
    assertThat(key.getAlgorithm()).isEqualTo(alg);
    assertThat(alg.equals("RSA") ? key instanceof RSAPrivateKey : key instanceof ECPrivateKey).isTrue();
    assertThat(KeyPairs.publicKeyOf(key)).isNotNull();
  }

  static Stream<Arguments> badKeys() {
    String b64 = "c2VjcmV0LXNlY3JldC1zZWNyZXQ=";
    return Stream.of(
        Arguments.of("no PEM at all", "just text " + b64, "no private key found"),
        Arguments.of("only a certificate", "-----BEGIN CERTIFICATE-----\n" + b64 + "\n-----END CERTIFICATE-----\n",
            "no private key found"),
        Arguments.of("an RSA block that is not DER", "-----BEGIN RSA PRIVATE KEY-----\n" + b64
            + "\n-----END RSA PRIVATE KEY-----\n", "not valid"),
        Arguments.of("an encrypted legacy key", "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
            + "DEK-Info: AES-128-CBC,00\n\n" + b64 + "\n-----END RSA PRIVATE KEY-----\n", "encrypted"),
        Arguments.of("a block of junk characters", "-----BEGIN EC PRIVATE KEY-----\n!!!!\n-----END EC PRIVATE KEY-----\n",
            "not a valid key structure"));
  }

  @ParameterizedTest(name = "refuses {0} without echoing it")
  @MethodSource("badKeys")
  void refusesBadKeysWithoutEchoingThem(String name, String pem, String message) {
    assertThatThrownBy(() -> Pem.parsePrivateKey(pem.getBytes(StandardCharsets.US_ASCII)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("c2VjcmV0"));
  }

  @Test
  void publicKeysAreWrittenAsPkixAndReadBackWithSeveralBlocks() {
    KeyPair a = FixtureKeys.rsa2048(1);
    KeyPair b = KeyPairs.generate(KeyAlgorithm.ECDSA_P256);
    String pem = Pem.encodePublicKey(a.getPublic()) + Pem.encodePublicKey(b.getPublic());
    assertThat(pem).startsWith("-----BEGIN PUBLIC KEY-----\n");
    assertThat(Pem.parsePublicKeys(pem.getBytes(StandardCharsets.US_ASCII))).containsExactly(a.getPublic(), b.getPublic());
  }

  @Test
  void certificateFilesMayHoldAChain() {
    var v = Validity.startingAt(PkiTrees.START, java.time.Duration.ofHours(1));
    var ca = CertificateFactory.selfSignedCa(CertCatalog.CA, FixtureKeys.rsa2048(1), v);
    var leaf = CertificateFactory.issue(CertCatalog.APISERVER_KUBELET_CLIENT, FixtureKeys.rsa2048(2).getPublic(), ca,
        FixtureKeys.rsa2048(1).getPrivate(), v);
    String pem = Pem.encodeCertificate(leaf) + Pem.encodeCertificate(ca);
    assertThat(Pem.parseCertificates(pem.getBytes(StandardCharsets.US_ASCII))).containsExactly(leaf, ca);
    assertThatThrownBy(() -> Pem.parseCertificates("nothing".getBytes(StandardCharsets.US_ASCII)))
        .hasMessageContaining("no CERTIFICATE block");
  }

  // ---- inputs the parser fuzzers (PemFuzzTest, PemDerFuzzTest) found ----

  @Test
  void anEmptyPublicKeyBlockIsRefusedAsBadInputNotANullPointer() {
    byte[] pem = "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n".getBytes(StandardCharsets.US_ASCII);
    assertThatThrownBy(() -> Pem.parsePublicKeys(pem)).isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty");
    byte[] key = "-----BEGIN RSA PRIVATE KEY-----\n-----END RSA PRIVATE KEY-----\n".getBytes(StandardCharsets.US_ASCII);
    assertThatThrownBy(() -> Pem.parsePrivateKey(key)).isExactlyInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anEcKeyWhoseScalarIsZeroIsRefusedAsGoRefusesIt() throws Exception {
    var p256 = org.bouncycastle.asn1.sec.SECObjectIdentifiers.secp256r1;
    byte[] der = new org.bouncycastle.asn1.sec.ECPrivateKey(256, java.math.BigInteger.ZERO, p256).getEncoded("DER");
    byte[] pem = Pem.encode(Pem.EC_PRIVATE_KEY, der).getBytes(StandardCharsets.US_ASCII);
    assertThatThrownBy(() -> Pem.parsePrivateKey(pem)).isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid elliptic curve private key value");
  }
}
