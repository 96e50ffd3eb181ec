package io.kubeforge.worker.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kubeforge.worker.support.PhaseResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs the real {@code openssl} binary over generated trees: chain verification in strict
 * mode, host and IP checks, purposes, key usage and basic constraints as OpenSSL prints them,
 * key consistency and PEM block types. The trees are made with the system clock so OpenSSL
 * sees them as currently valid.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpensslInteropTest {
  private static final String[][] LEAVES = {
      {"apiserver", "ca", "server"}, {"apiserver-kubelet-client", "ca", "client"},
      {"front-proxy-client", "front-proxy-ca", "client"}, {"etcd/server", "etcd/ca", "both"},
      {"etcd/peer", "etcd/ca", "both"}, {"etcd/healthcheck-client", "etcd/ca", "client"},
      {"apiserver-etcd-client", "etcd/ca", "client"}};
  private static final String[] CAS = {"ca", "front-proxy-ca", "etcd/ca"};

  @TempDir
  static Path tmp;

  @BeforeAll
  void requireOpenssl() throws Exception {
    boolean present;
    try {
      present = run(List.of("openssl", "version")).exit == 0;
    } catch (IOException e) {
      present = false;
    }
    assumeTrue(present, "openssl is not installed");
  }

  static Stream<Arguments> trees() {
    return Stream.of(
        Arguments.of("RSA-2048 tree from fixture keys", "RSA-2048", Keys.FIXTURE),
        Arguments.of("RSA-2048 tree from freshly generated keys", "RSA-2048", Keys.GENERATED),
        Arguments.of("RSA-2048 tree from keys made ahead in a key pool", "RSA-2048", Keys.POOLED),
        Arguments.of("ECDSA-P256 tree", "ECDSA-P256", Keys.GENERATED),
        Arguments.of("ECDSA-P384 tree", "ECDSA-P384", Keys.GENERATED));
  }

  /** Where a tree's keys come from. */
  enum Keys { FIXTURE, GENERATED, POOLED }

  private static boolean awaitQuietly(KeyPool pool, int count) {
    try {
      return pool.awaitSize(count, Duration.ofMinutes(2));
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void stopQuietly(KeyPool pool) {
    try {
      pool.stop();
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  private final Map<String, Path> made = new java.util.HashMap<>();

  private Path makeTree(String name, String algorithm, Keys keys) {
    return made.computeIfAbsent(name, n -> generate(n, algorithm, keys));
  }

  private Path generate(String name, String algorithm, Keys keys) {
    Path dir = tmp.resolve(name.replace(' ', '-'));
    java.util.concurrent.atomic.AtomicInteger onDemand = new java.util.concurrent.atomic.AtomicInteger();
    KeyPool pool = new KeyPool(KeyAlgorithm.RSA_2048, alg -> {
      if (!Thread.currentThread().getName().equals("key-pool")) {
        onDemand.incrementAndGet();
      }
      return KeyPairs.generate(alg);
    });
    if (keys == Keys.POOLED) {
      pool.startFilling(11, Duration.ZERO); // the whole tree: 10 certificates and the sa key
      assertThat(awaitQuietly(pool, 11)).as("the pool filled").isTrue();
    }
    KeyPairs.KeySource source = switch (keys) {
      case FIXTURE -> new FixtureKeys();
      case GENERATED -> KeyPairs.secure();
      case POOLED -> pool;
    };
    PhaseResult r = new PkiPhase(Clock.systemUTC(), source).run(PkiTrees.options(dir, "key_algorithm", algorithm,
        "advertise_address", "fd00:10::10", "control_plane_endpoint", "k8s.example.com:6443",
        "apiserver_cert_sans", List.of("*.apps.example.com", "10.0.0.5")), false);
    if (keys == Keys.POOLED) {
      assertThat(onDemand).as("keys generated on demand: every key of the tree came from the pool").hasValue(0);
      stopQuietly(pool);
    }
    assertThat(r.changed()).isTrue();
    return dir;
  }

  @ParameterizedTest(name = "{0}: every leaf verifies strictly against its CA with the right purpose")
  @MethodSource("trees")
  void chainsVerify(String name, String algorithm, Keys source) throws Exception {
    Path dir = makeTree(name, algorithm, source);
    for (String[] leaf : LEAVES) {
      String purpose = leaf[2].equals("client") ? "sslclient" : "sslserver";
      Result r = run(List.of("openssl", "verify", "-x509_strict", "-purpose", purpose, "-CAfile",
          dir.resolve(leaf[1] + ".crt").toString(), dir.resolve(leaf[0] + ".crt").toString()));
      assertThat(r.exit).as(leaf[0] + ": " + r.out).isZero();
      assertThat(r.out).endsWith(": OK\n");
    }
    Result wrong = run(List.of("openssl", "verify", "-CAfile", dir.resolve("etcd/ca.crt").toString(),
        dir.resolve("apiserver.crt").toString()));
    assertThat(wrong.exit).isNotZero();
    for (String ca : CAS) {
      Result r = run(List.of("openssl", "verify", "-x509_strict", "-CAfile", dir.resolve(ca + ".crt").toString(),
          dir.resolve(ca + ".crt").toString()));
      assertThat(r.exit).as(ca + ": " + r.out).isZero();
    }
  }

  @ParameterizedTest(name = "{0}: hosts and IPs match the apiserver and etcd serving certificates")
  @MethodSource("trees")
  void hostsAndIpsMatch(String name, String algorithm, Keys source) throws Exception {
    Path dir = makeTree(name, algorithm, source);
    String api = dir.resolve("apiserver.crt").toString();
    for (String host : List.of("cp-1", "kubernetes", "kubernetes.default.svc.cluster.local", "k8s.example.com",
        "console.apps.example.com")) {
      assertThat(run(List.of("openssl", "x509", "-in", api, "-noout", "-checkhost", host)).out)
          .isEqualTo("Hostname " + host + " does match certificate\n");
    }
    for (String ip : List.of("10.96.0.1", "fd00:10::10", "10.0.0.5")) {
      assertThat(run(List.of("openssl", "x509", "-in", api, "-noout", "-checkip", ip)).out)
          .isEqualTo("IP " + ip + " does match certificate\n");
    }
    assertThat(run(List.of("openssl", "x509", "-in", api, "-noout", "-checkhost", "localhost")).out)
        .contains("does NOT match");
    assertThat(run(List.of("openssl", "x509", "-in", api, "-noout", "-checkip", "127.0.0.1")).out)
        .contains("does NOT match");
    String etcd = dir.resolve("etcd/server.crt").toString();
    for (String ip : List.of("127.0.0.1", "::1", "fd00:10::10")) {
      assertThat(run(List.of("openssl", "x509", "-in", etcd, "-noout", "-checkip", ip)).out)
          .isEqualTo("IP " + ip + " does match certificate\n");
    }
    assertThat(run(List.of("openssl", "x509", "-in", etcd, "-noout", "-checkhost", "localhost")).out)
        .isEqualTo("Hostname localhost does match certificate\n");
  }

  @ParameterizedTest(name = "{0}: purposes, key usage and basic constraints are as kubeadm's")
  @MethodSource("trees")
  void extensionsAsOpensslPrintsThem(String name, String algorithm, Keys source) throws Exception {
    Path dir = makeTree(name, algorithm, source);
    for (String[] leaf : LEAVES) {
      String crt = dir.resolve(leaf[0] + ".crt").toString();
      String purpose = run(List.of("openssl", "x509", "-in", crt, "-noout", "-purpose")).out;
      assertThat(purpose).as(leaf[0]).contains("SSL client : " + (leaf[2].equals("server") ? "No" : "Yes"))
          .contains("SSL server : " + (leaf[2].equals("client") ? "No" : "Yes"))
          .contains("SSL server CA : No");
      String text = run(List.of("openssl", "x509", "-in", crt, "-noout", "-text")).out;
      assertThat(text).as(leaf[0]).contains("X509v3 Key Usage: critical\n                Digital Signature, Key Encipherment\n")
          .contains("X509v3 Basic Constraints: critical\n                CA:FALSE\n")
          .contains("X509v3 Authority Key Identifier")
          .doesNotContain("X509v3 Subject Key Identifier");
    }
    for (String ca : CAS) {
      String text = run(List.of("openssl", "x509", "-in", dir.resolve(ca + ".crt").toString(), "-noout", "-text")).out;
      assertThat(text).as(ca).contains(
          "X509v3 Key Usage: critical\n                Digital Signature, Key Encipherment, Certificate Sign\n")
          .contains("X509v3 Basic Constraints: critical\n                CA:TRUE\n")
          .contains("X509v3 Subject Key Identifier")
          .doesNotContain("pathlen");
      assertThat(run(List.of("openssl", "x509", "-in", dir.resolve(ca + ".crt").toString(), "-noout", "-purpose")).out)
          .contains("SSL server CA : Yes").contains("SSL client CA : Yes");
    }
  }

  @ParameterizedTest(name = "{0}: keys pass openssl pkey -check and use kubeadm's PEM types")
  @MethodSource("trees")
  void keysAreConsistentAndTyped(String name, String algorithm, Keys source) throws Exception {
    Path dir = makeTree(name, algorithm, source);
    String header = algorithm.startsWith("RSA") ? "-----BEGIN RSA PRIVATE KEY-----" : "-----BEGIN EC PRIVATE KEY-----";
    List<String> keys = new ArrayList<>();
    for (String[] leaf : LEAVES) {
      keys.add(leaf[0] + ".key");
    }
    for (String ca : CAS) {
      keys.add(ca + ".key");
    }
    keys.add("sa.key");
    for (String key : keys) {
      Path p = dir.resolve(key);
      assertThat(Files.readString(p)).as(key).startsWith(header + "\n");
      Result r = run(List.of("openssl", "pkey", "-check", "-noout", "-in", p.toString()));
      assertThat(r.exit).as(key + ": " + r.out).isZero();
      assertThat(r.out).contains("Key is valid");
    }
    assertThat(Files.readString(dir.resolve("sa.pub"))).startsWith("-----BEGIN PUBLIC KEY-----\n");
    Result pub = run(List.of("openssl", "pkey", "-pubin", "-in", dir.resolve("sa.pub").toString(), "-noout"));
    assertThat(pub.exit).isZero();
    for (String[] leaf : LEAVES) {
      assertThat(Files.readString(dir.resolve(leaf[0] + ".crt"))).startsWith("-----BEGIN CERTIFICATE-----\n");
      String certPub = run(List.of("openssl", "x509", "-in", dir.resolve(leaf[0] + ".crt").toString(), "-noout",
          "-pubkey")).out;
      String keyPub = run(List.of("openssl", "pkey", "-in", dir.resolve(leaf[0] + ".key").toString(), "-pubout")).out;
      assertThat(keyPub).as(leaf[0] + " key matches its certificate").isEqualTo(certPub);
    }
  }

  @Test
  void caCertHashEqualsOpensslsSpkiDigest() throws Exception {
    Path dir = makeTree("hash", "ECDSA-P256", Keys.GENERATED);
    Path der = tmp.resolve("ca.pub.der");
    run(List.of("sh", "-c", "openssl x509 -in '" + dir.resolve("ca.crt") + "' -noout -pubkey | openssl pkey -pubin "
        + "-outform der -out '" + der + "'"));
    String digest = run(List.of("openssl", "dgst", "-sha256", "-r", der.toString())).out.split(" ")[0];
    Map<String, Object> result = new PkiPhase(Clock.systemUTC(), new FixtureKeys()).run(PkiTrees.options(dir,
        "key_algorithm", "ECDSA-P256", "advertise_address", "fd00:10::10", "control_plane_endpoint",
        "k8s.example.com:6443", "apiserver_cert_sans", List.of("*.apps.example.com", "10.0.0.5")), true).result();
    assertThat(result.get("ca_cert_hash")).isEqualTo("sha256:" + digest);
  }

  private record Result(int exit, String out) {}

  private static Result run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timeout: " + cmd);
    }
    return new Result(p.exitValue(), out);
  }
}
