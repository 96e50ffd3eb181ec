package io.kubeforge.worker.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CertChecksTest {
  private static final Validity V = Validity.startingAt(PkiTrees.START, Duration.ofHours(1));

  static Stream<Arguments> hostnames() {
    return Stream.of(
        Arguments.of("an exact name matches", "api.example.com", "api.example.com", true),
        Arguments.of("names compare case-insensitively", "API.example.com", "api.example.COM", true),
        Arguments.of("a trailing dot is ignored", "api.example.com.", "api.example.com", true),
        Arguments.of("a wildcard covers one label", "*.example.com", "api.example.com", true),
        Arguments.of("a wildcard does not cover two labels", "*.example.com", "a.b.example.com", false),
        Arguments.of("a wildcard does not cover the bare domain", "*.example.com", "example.com", false),
        Arguments.of("an expected wildcard needs the same wildcard", "*.example.com", "*.example.com", true),
        Arguments.of("an expected wildcard is not covered by a narrower one", "*.a.example.com", "*.example.com", false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostnames")
  void dnsMatchingFollowsGosVerifyHostname(String name, String pattern, String host, boolean matches) {
    assertThat(CertChecks.dnsMatches(pattern, host)).isEqualTo(matches);
  }

  @Test
  void missingSansListsDnsThenIpAndAcceptsExtras() {
    CertSpec spec = CertCatalog.APISERVER.withAltNames(AltNames.parseExtra(List.of("a.example.com", "b.example.com", "10.0.0.1", "::1")));
    KeyPair ca = FixtureKeys.rsa2048(1);
    X509Certificate caCert = CertificateFactory.selfSignedCa(CertCatalog.CA, ca, V);
    X509Certificate cert = CertificateFactory.issue(spec, FixtureKeys.rsa2048(2).getPublic(), caCert, ca.getPrivate(), V);
    AltNames expected = AltNames.parseExtra(List.of("a.example.com", "c.example.com", "::1", "10.0.0.2"));
    assertThat(CertChecks.missingSans(cert, expected)).containsExactly("DNS:c.example.com", "IP:10.0.0.2");
  }

  @Test
  void chainsThroughAnIntermediateLeadToTheRoot() {
    KeyPair rootKey = FixtureKeys.rsa2048(1);
    KeyPair midKey = FixtureKeys.rsa2048(2);
    X509Certificate root = CertificateFactory.selfSignedCa(CertCatalog.CA, rootKey, V);
    X509Certificate mid = intermediate(root, rootKey, midKey);
    X509Certificate leaf = CertificateFactory.issue(CertCatalog.FRONT_PROXY_CLIENT, FixtureKeys.rsa2048(3).getPublic(),
        mid, midKey.getPrivate(), V);
    assertThat(CertChecks.signedBy(List.of(leaf, mid), root)).isTrue();
    assertThat(CertChecks.signedBy(List.of(leaf), root)).isFalse();
    assertThat(CertChecks.signedBy(List.of(leaf), mid)).isTrue();
  }

  @Test
  void aCertificateWithTheRightIssuerNameButAnotherKeyIsNotSignedByTheCa() {
    X509Certificate real = CertificateFactory.selfSignedCa(CertCatalog.CA, FixtureKeys.rsa2048(1), V);
    KeyPair fakeKey = FixtureKeys.rsa2048(2);
    X509Certificate fake = CertificateFactory.selfSignedCa(CertCatalog.CA, fakeKey, V);
    X509Certificate leaf = CertificateFactory.issue(CertCatalog.APISERVER_KUBELET_CLIENT,
        FixtureKeys.rsa2048(3).getPublic(), fake, fakeKey.getPrivate(), V);
    assertThat(CertChecks.signedBy(List.of(leaf), real)).isFalse();
  }

  /** Signs an intermediate CA with BouncyCastle directly, since the factory only makes root CAs. */
  private static X509Certificate intermediate(X509Certificate root, KeyPair rootKey, KeyPair midKey) {
    try {
      var b = new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(root, java.math.BigInteger.TEN,
          java.util.Date.from(V.notBefore()), java.util.Date.from(V.notAfter()),
          new javax.security.auth.x500.X500Principal("CN=intermediate"), midKey.getPublic());
      b.addExtension(org.bouncycastle.asn1.x509.Extension.basicConstraints, true,
          new org.bouncycastle.asn1.x509.BasicConstraints(true));
      var signer = new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withRSA").build(rootKey.getPrivate());
      return new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(b.build(signer));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
