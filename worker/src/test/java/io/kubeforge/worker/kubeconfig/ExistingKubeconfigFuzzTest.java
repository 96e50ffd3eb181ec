package io.kubeforge.worker.kubeconfig;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.kubeforge.worker.config.Fixtures;
import io.kubeforge.worker.pki.Pem;
import java.security.cert.X509Certificate;

/**
 * Fuzzes the check of a kubeconfig already on disk (seeds: kubeconfigs kubeadm writes, for the
 * test CA and others): whatever the file holds, the check answers "equivalent" or a reason, and
 * never throws.
 */
class ExistingKubeconfigFuzzTest {
  private static final X509Certificate CA = Pem.parseCertificates(Fixtures.bytes("config/pki/ca.crt")).get(0);

  @FuzzTest(maxDuration = "20s")
  void anExistingFileIsEquivalentOrHasAReason(byte[] content) {
    ExistingKubeconfig.mismatch(content, CA, "https://10.0.0.10:6443");
  }
}
