package io.kubeforge.worker.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;

class CaCertHashTest {
  private static X509Certificate fixture() throws IOException {
    try (InputStream in = CaCertHashTest.class.getResourceAsStream("/fixtures/certs/pubkeypin-testcert.pem")) {
      return Pem.parseCertificates(in.readAllBytes()).get(0);
    }
  }

  @Test
  void pinOfKubeadmsTestCertificateIsKubeadmsValue() throws IOException {
    assertThat(CaCertHash.of(fixture()))
        .isEqualTo("sha256:345959acb2c3b2feb87d281961c893f62a314207ef02599f1cc4a5fb255480b3");
  }

  @Test
  void anotherKeyGivesAnotherPin() throws IOException {
    assertThat(CaCertHash.of(FixtureKeys.rsa2048(1).getPublic())).isNotEqualTo(CaCertHash.of(fixture()))
        .matches("sha256:[0-9a-f]{64}");
  }
}
