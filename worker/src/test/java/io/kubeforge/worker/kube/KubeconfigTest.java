package io.kubeforge.worker.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeforge.worker.config.Fixtures;
import io.kubeforge.worker.support.WorkerException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubeconfigTest {
  @TempDir
  Path dir;

  private Path write(String cluster, String user) throws Exception {
    Path p = dir.resolve("k.conf");
    Files.writeString(p, "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n" + cluster
        + "contexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n"
        + "users:\n- name: u\n  user:\n" + user);
    return p;
  }

  private static String ca() {
    return Base64.getEncoder().encodeToString(Fixtures.bytes("config/pki/ca.crt"));
  }

  @Test
  void aTokenKubeconfigNamesItsUserButNeverTheToken() throws Exception {
    Kubeconfig k = Kubeconfig.read(write("    server: https://10.0.0.1:6443\n    certificate-authority-data: " + ca() + "\n",
        "    token: s3cret\n"));
    assertThat(k.server().toString()).isEqualTo("https://10.0.0.1:6443");
    assertThat(k.ca()).hasSize(1);
    assertThat(k.token()).isEqualTo("s3cret");
    assertThat(k.user()).contains("'u'").doesNotContain("s3cret");
  }

  @Test
  void filesAreResolvedAgainstTheKubeconfigsFolder() throws Exception {
    Files.write(dir.resolve("ca.crt"), Fixtures.bytes("config/pki/ca.crt"));
    Files.writeString(dir.resolve("token"), "from-file\n");
    Kubeconfig k = Kubeconfig.read(write("    server: https://10.0.0.1:6443\n    certificate-authority: ca.crt\n",
        "    tokenFile: token\n"));
    assertThat(k.ca()).hasSize(1);
    assertThat(k.token()).isEqualTo("from-file");
  }

  @Test
  void aKubeconfigKnowsWhetherTheFilesItWasReadFromChangedSince() throws Exception {
    Files.writeString(dir.resolve("token"), "one\n");
    Path p = write("    server: https://10.0.0.1:6443\n", "    tokenFile: token\n");
    Kubeconfig k = Kubeconfig.read(p);
    assertThat(k.unchangedOnDisk()).isTrue();
    Files.writeString(dir.resolve("token"), "two\n");
    assertThat(k.unchangedOnDisk()).isFalse();
    Files.writeString(dir.resolve("token"), "one\n");
    assertThat(k.unchangedOnDisk()).isTrue();
    Files.writeString(p, Files.readString(p) + "\n");
    assertThat(k.unchangedOnDisk()).isFalse();
  }

  @Test
  void aTlsServerNameIsWhatTheCertificateMustNameWhileTheUrlHostIsWhereItConnects() throws Exception {
    Kubeconfig k = Kubeconfig.read(write("    server: https://10.0.0.1:6443\n    tls-server-name: api.example.test\n",
        "    token: t\n"));
    assertThat(k.tlsServerName()).isEqualTo("api.example.test");
    assertThat(k.verifiedName()).isEqualTo("api.example.test");
    assertThat(k.server().getHost()).isEqualTo("10.0.0.1");
    Kubeconfig plain = Kubeconfig.read(write("    server: https://10.0.0.1:6443\n", "    token: t\n"));
    assertThat(plain.tlsServerName()).isNull();
    assertThat(plain.verifiedName()).isEqualTo("10.0.0.1");
  }

  @Test
  void aTlsServerNameThatIsNoDnsNameIsRefused() throws Exception {
    Path p = write("    server: https://10.0.0.1:6443\n    tls-server-name: \"bad name\"\n", "    token: t\n");
    assertThatThrownBy(() -> Kubeconfig.read(p)).isInstanceOfSatisfying(WorkerException.class, e -> {
      assertThat(e.status()).isEqualTo(400);
      assertThat(e.field()).isEqualTo("kubeconfig");
      assertThat(e.getMessage()).contains("tls-server-name 'bad name'");
    });
  }

  @Test
  void skippingTlsVerificationIsRefused() throws Exception {
    Path p = write("    server: https://10.0.0.1:6443\n    insecure-skip-tls-verify: true\n", "    token: t\n");
    assertThatThrownBy(() -> Kubeconfig.read(p)).isInstanceOfSatisfying(WorkerException.class, e -> {
      assertThat(e.status()).isEqualTo(400);
      assertThat(e.field()).isEqualTo("kubeconfig");
      assertThat(e.getMessage()).contains("insecure-skip-tls-verify");
    });
  }

  @Test
  void plainHttpExecPluginsAndMissingFilesAreRefusedByName() throws Exception {
    assertThatThrownBy(() -> Kubeconfig.read(write("    server: http://10.0.0.1:8080\n", "    token: t\n")))
        .hasMessageContaining("must be an https:// URL");
    assertThatThrownBy(() -> Kubeconfig.read(write("    server: https://10.0.0.1:6443\n",
        "    exec: {command: aws}\n"))).hasMessageContaining("'exec'");
    assertThatThrownBy(() -> Kubeconfig.read(write("    server: https://10.0.0.1:6443\n", "    {}\n")))
        .hasMessageContaining("neither a client certificate nor a token");
    assertThatThrownBy(() -> Kubeconfig.read(dir.resolve("absent.conf")))
        .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.field()).isEqualTo("kubeconfig"))
        .hasMessageContaining("does not exist");
  }

  // ---- inputs the parser fuzzer (KubeconfigFuzzTest) found ----

  @Test
  void aCertificateAuthorityThatIsADeviceIsRefusedWithoutReadingIt() throws Exception {
    Path p = write("    server: https://10.0.0.1:6443\n    certificate-authority: /dev/zero\n", "    token: t\n");
    assertThatThrownBy(() -> Kubeconfig.read(p)).isInstanceOfSatisfying(WorkerException.class, e -> {
      assertThat(e.status()).isEqualTo(400);
      assertThat(e.getMessage()).contains("certificate-authority /dev/zero is not a regular file");
    });
  }

  @Test
  void aFileReferenceThatIsNoPathIsBadInput() throws Exception {
    Path p = write("    server: https://10.0.0.1:6443\n    certificate-authority: \"ca\\0.crt\"\n", "    token: t\n");
    assertThatThrownBy(() -> Kubeconfig.read(p)).isInstanceOfSatisfying(WorkerException.class,
        e -> assertThat(e.getMessage()).contains("certificate-authority is not a path"));
  }

  @Test
  void aListThatHoldsItselfIsInvalidYamlNotAStackOverflow() throws Exception {
    Path p = dir.resolve("k.conf");
    Files.writeString(p, "apiVersion: v1\nkind: Config\ncurrent-context: &a [[*a]]\n");
    assertThatThrownBy(() -> Kubeconfig.read(p)).isInstanceOfSatisfying(WorkerException.class, e -> {
      assertThat(e.status()).isEqualTo(400);
      assertThat(e.code()).isEqualTo("config.invalid_yaml");
    });
  }
}
