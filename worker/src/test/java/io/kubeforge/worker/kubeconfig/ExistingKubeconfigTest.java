package io.kubeforge.worker.kubeconfig;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeforge.worker.config.Fixtures;
import io.kubeforge.worker.pki.Pem;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;

/** Inputs the parser fuzzer (ExistingKubeconfigFuzzTest) found: each gets a reason, none throws. */
class ExistingKubeconfigTest {
  private static final X509Certificate CA = Pem.parseCertificates(Fixtures.bytes("config/pki/ca.crt")).get(0);

  private static String check(String yaml) {
    return ExistingKubeconfig.mismatch(yaml.getBytes(StandardCharsets.UTF_8), CA, "https://10.0.0.10:6443");
  }

  private static String withCluster(String cluster) {
    return "clusters:\n- name: c\n  cluster:\n" + cluster
        + "contexts:\n- name: x\n  context: {cluster: c}\ncurrent-context: x\n";
  }

  @Test
  void aCertificateAuthorityThatIsADeviceIsNotReadButHasAReason() {
    assertThat(check(withCluster("    certificate-authority: /dev/zero\n")))
        .isEqualTo("the existing file's certificate-authority /dev/zero can't be read");
  }

  @Test
  void aServerThatHoldsItselfIsNotValidYamlRatherThanAStackOverflow() {
    String ca = java.util.Base64.getEncoder().encodeToString(Fixtures.bytes("config/pki/ca.crt"));
    assertThat(check(withCluster("    certificate-authority-data: " + ca + "\n    server: &a [[*a]]\n")))
        .isEqualTo("the existing file is not valid YAML");
  }
}
