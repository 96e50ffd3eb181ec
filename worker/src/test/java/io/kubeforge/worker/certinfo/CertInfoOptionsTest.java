package io.kubeforge.worker.certinfo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeforge.worker.support.WorkerException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CertInfoOptionsTest {
  @Test
  void defaultsAreKubeadmsDirectories() {
    CertInfoOptions o = CertInfoOptions.fromMap(Map.of());
    assertThat(o.certDir()).isEqualTo(Path.of("/etc/kubernetes/pki"));
    assertThat(o.kubeconfigDir()).isEqualTo(Path.of("/etc/kubernetes"));
    assertThat(o.kubeletCertDir()).isEqualTo(Path.of("/var/lib/kubelet/pki"));
    assertThat(o.warnBefore()).isEqualTo(java.time.Duration.ofDays(30));
  }

  @Test
  void warnBeforeIsAGoDurationAndZeroMeansOnlyWhatHasExpired() {
    assertThat(CertInfoOptions.fromMap(Map.of("warn_before", "1h30m")).warnBefore())
        .isEqualTo(java.time.Duration.ofMinutes(90));
    assertThat(CertInfoOptions.fromMap(Map.of("warn_before", "0")).warnBefore()).isZero();
  }

  @Test
  void nullMeansDefault() {
    Map<String, Object> body = new HashMap<>();
    body.put("cert_dir", null);
    assertThat(CertInfoOptions.fromMap(body).certDir()).isEqualTo(Path.of("/etc/kubernetes/pki"));
  }

  static Stream<Arguments> badInput() {
    return Stream.of(
        Arguments.of("relative cert_dir", Map.of("cert_dir", "pki"), "config.invalid_path", "cert_dir"),
        Arguments.of("kubeconfig_dir with ..", Map.of("kubeconfig_dir", "/etc/../tmp"), "config.invalid_path",
            "kubeconfig_dir"),
        Arguments.of("cert_dir as a number", Map.of("cert_dir", 5), "request.wrong_type", "cert_dir"),
        Arguments.of("unknown field", Map.of("certdir", "/x"), "request.unknown_field", "certdir"),
        Arguments.of("relative kubelet_cert_dir", Map.of("kubelet_cert_dir", "pki"), "config.invalid_path",
            "kubelet_cert_dir"),
        Arguments.of("warn_before in days", Map.of("warn_before", "30d"), "config.invalid_duration", "warn_before"),
        Arguments.of("negative warn_before", Map.of("warn_before", "-1h"), "config.invalid_duration", "warn_before"),
        Arguments.of("warn_before as a number", Map.of("warn_before", 3600), "request.wrong_type", "warn_before"));
  }

  @ParameterizedTest(name = "{0} is refused")
  @MethodSource("badInput")
  void refusesBadInput(String name, Map<String, Object> body, String code, String field) {
    assertThatThrownBy(() -> CertInfoOptions.fromMap(body)).isInstanceOfSatisfying(WorkerException.class, e -> {
      assertThat(e.code()).isEqualTo(code);
      assertThat(e.field()).isEqualTo(field);
      assertThat(e.status()).isEqualTo(400);
    });
  }
}
