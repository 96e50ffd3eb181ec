package io.kubeforge.worker.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeforge.worker.config.SafeYaml;
import io.kubeforge.worker.pki.CertChecks;
import io.kubeforge.worker.pki.KeyPairs;
import io.kubeforge.worker.pki.Pem;
import io.kubeforge.worker.support.FileReconciler;
import io.kubeforge.worker.support.SafeFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** TreeChecks holds what must hold of a tree on disk at any time, and of a healed tree. */
final class TreeChecks {
  private TreeChecks() {}

  static List<Path> files(Path base) throws IOException {
    if (!Files.exists(base)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(base)) {
      return s.filter(Files::isRegularFile).toList();
    }
  }

  static boolean temporary(Path p) {
    String n = p.getFileName().toString();
    return n.startsWith(SafeFiles.TEMP_PREFIX) || n.startsWith(FileReconciler.JOURNAL_PREFIX);
  }

  /**
   * At any time, even right after a crash: nothing temporary in the manifest folder, and every
   * file under its final name is whole (parses as what it is).
   */
  static void noPartialFile(Path base) throws IOException {
    for (Path p : files(base)) {
      if (p.startsWith(base.resolve("manifests"))) {
        assertThat(p.getFileName().toString()).as("file in manifests/").doesNotStartWith(".");
      }
      if (temporary(p) || p.toString().contains(SafeFiles.STAGING_PREFIX)) {
        continue;
      }
      byte[] b = Files.readAllBytes(p);
      String n = p.getFileName().toString();
      assertThat(b).as("content of %s", p).isNotEmpty();
      if (n.endsWith(".crt") || n.contains(".crt.")) {
        assertThat(Pem.parseCertificates(b)).as("%s", p).isNotEmpty();
      } else if (n.endsWith(".key") || n.contains(".key.")) {
        Pem.parsePrivateKey(b);
      } else if (n.endsWith(".pub") || n.contains(".pub.")) {
        assertThat(Pem.parsePublicKeys(b)).as("%s", p).isNotEmpty();
      } else if (n.endsWith(".yaml") || n.endsWith(".conf") || n.contains(".yaml.") || n.contains(".conf.")) {
        assertThat(SafeYaml.load(new String(b, StandardCharsets.UTF_8), "file")).as("%s", p).isInstanceOf(Map.class);
      }
    }
  }

  /** A healed tree: no temporary file anywhere, every pair whole and matching, every leaf signed by its CA. */
  static void consistent(Path base) throws IOException {
    Path pki = base.resolve("pki");
    for (Path p : files(base)) {
      assertThat(temporary(p)).as("temporary file %s", p).isFalse();
    }
    assertThat(base.resolveSibling(SafeFiles.STAGING_PREFIX + "manifests")).doesNotExist();
    X509Certificate ca = cert(pki.resolve("ca.crt"));
    for (String pair : List.of("ca", "apiserver", "apiserver-kubelet-client", "front-proxy-ca", "front-proxy-client",
        "etcd/ca", "etcd/server", "etcd/peer", "etcd/healthcheck-client", "apiserver-etcd-client")) {
      X509Certificate c = cert(pki.resolve(pair + ".crt"));
      PrivateKey k = Pem.parsePrivateKey(Files.readAllBytes(pki.resolve(pair + ".key")));
      assertThat(KeyPairs.matches(k, c.getPublicKey())).as("%s.key matches %s.crt", pair, pair).isTrue();
    }
    assertThat(CertChecks.signedBy(List.of(cert(pki.resolve("apiserver.crt"))), ca)).isTrue();
    assertThat(CertChecks.signedBy(List.of(cert(pki.resolve("etcd/server.crt"))), cert(pki.resolve("etcd/ca.crt")))).isTrue();
    PrivateKey sa = Pem.parsePrivateKey(Files.readAllBytes(pki.resolve("sa.key")));
    assertThat(KeyPairs.matches(sa, Pem.parsePublicKeys(Files.readAllBytes(pki.resolve("sa.pub"))).get(0))).isTrue();
    for (String conf : List.of("admin.conf", "super-admin.conf", "kubelet.conf", "controller-manager.conf", "scheduler.conf")) {
      String text = Files.readString(base.resolve(conf));
      assertThat(text).as(conf).contains(java.util.Base64.getEncoder()
          .encodeToString(Files.readAllBytes(pki.resolve("ca.crt"))));
    }
    for (String pod : List.of("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd")) {
      assertThat(base.resolve("manifests/" + pod + ".yaml")).isRegularFile();
    }
    assertThat(base.resolve("encryption/encryption-config.yaml")).isRegularFile();
    assertThat(base.resolve("kubelet/config.yaml")).isRegularFile();
  }

  private static X509Certificate cert(Path p) throws IOException {
    return Pem.parseCertificates(Files.readAllBytes(p)).get(0);
  }
}
