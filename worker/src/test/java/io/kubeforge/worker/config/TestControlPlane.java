package io.kubeforge.worker.config;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * TestControlPlane runs the real etcd 3.6.5 and kube-apiserver v1.34.10 that
 * {@code conformance/build.sh} builds into {@code .cache/kube/v1.34.10/bin}, on free loopback
 * ports below a scratch directory, for integration tests. It stops only the processes it started.
 */
public final class TestControlPlane implements AutoCloseable {
  /**
   * Where the conformance harness puts the binaries: {@code -Dkubeforge.kubeBin} or
   * {@code $KUBEFORGE_KUBE_BIN} if set, else {@code <repo>/.cache/kube/v1.34.10/bin}.
   */
  public static final Path BIN = binDir();
  /**
   * With {@code -Dkubeforge.requireBinaries=true} (set by {@code make conformance}), missing
   * binaries (or, for kubeadm --rootfs, not being root) fail the integration tests instead of
   * skipping them.
   */
  public static final boolean REQUIRED = Boolean.getBoolean("kubeforge.requireBinaries");
  /** A static bearer token of a system:masters user. */
  public static final String TOKEN = "kubeforge-it-token";

  private final Path dir;
  private final int etcdPort;
  private final List<String> apiserverFlags = new ArrayList<>();
  private final Process etcd;
  private Process apiserver;
  private int apiPort;
  private int starts;

  private TestControlPlane(Path dir) throws IOException {
    this.dir = dir;
    this.etcdPort = freePort();
    int peer = freePort();
    etcd = start(dir.resolve("etcd.log"), BIN.resolve("etcd").toString(), "--name", "it",
        "--data-dir", dir.resolve("etcd").toString(),
        "--listen-client-urls", "http://127.0.0.1:" + etcdPort, "--advertise-client-urls", "http://127.0.0.1:" + etcdPort,
        "--listen-peer-urls", "http://127.0.0.1:" + peer, "--initial-advertise-peer-urls", "http://127.0.0.1:" + peer,
        "--initial-cluster", "it=http://127.0.0.1:" + peer);
  }

  private static Path binDir() {
    String p = System.getProperty("kubeforge.kubeBin", System.getenv("KUBEFORGE_KUBE_BIN"));
    return (p != null && !p.isBlank() ? Path.of(p) : Path.of("..", ".cache", "kube", "v1.34.10", "bin"))
        .toAbsolutePath().normalize();
  }

  /**
   * Tells whether the binaries exist; when they do not and {@link #REQUIRED} is set, throws
   * instead, so a test guarded by {@code assumeTrue(available())} fails rather than skips.
   */
  public static boolean available() {
    return require(Files.isExecutable(BIN.resolve("etcd")) && Files.isExecutable(BIN.resolve("kube-apiserver")),
        "etcd and kube-apiserver are not executable in " + BIN);
  }

  /** Returns {@code ok}; throws if it is false and {@link #REQUIRED} is set. */
  public static boolean require(boolean ok, String what) {
    if (!ok && REQUIRED) {
      throw new AssertionError(what + " (kubeforge.requireBinaries=true: not skipping)");
    }
    return ok;
  }

  /** Starts etcd; call {@link #startApiServer} next. */
  public static TestControlPlane startEtcd(Path dir) throws IOException {
    return new TestControlPlane(dir);
  }

  /** Returns the etcd client URL (plain HTTP, loopback). */
  public String etcdUrl() {
    return "http://127.0.0.1:" + etcdPort;
  }

  /** Returns the API server URL. */
  public String apiUrl() {
    return "https://127.0.0.1:" + apiPort;
  }

  /**
   * Starts (or restarts) kube-apiserver with the base flags (etcd, loopback, self-signed serving
   * certificate, service-account keys, a token file with {@link #TOKEN}, RBAC) plus
   * {@code extraFlags}, and waits until {@code /readyz} answers 200.
   */
  public void startApiServer(List<String> extraFlags) throws Exception {
    stopApiServer();
    if (apiserverFlags.isEmpty()) {
      Files.write(dir.resolve("sa.key"), Fixtures.bytes("config/keys/client-6.key"));
      if (Openssl.run(dir, "rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub").exit() != 0) {
        throw new IllegalStateException("openssl rsa -pubout failed");
      }
      Files.writeString(dir.resolve("tokens.csv"), TOKEN + ",it-admin,it-admin,system:masters\n");
      apiPort = freePort();
    }
    apiserverFlags.clear();
    apiserverFlags.addAll(List.of(BIN.resolve("kube-apiserver").toString(),
        "--etcd-servers=" + etcdUrl(), "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
        "--secure-port=" + apiPort, "--cert-dir=" + dir.resolve("serving"),
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        "--service-account-key-file=" + dir.resolve("sa.pub"),
        "--service-account-signing-key-file=" + dir.resolve("sa.key"),
        "--token-auth-file=" + dir.resolve("tokens.csv"), "--authorization-mode=RBAC",
        "--service-cluster-ip-range=10.96.0.0/12"));
    apiserverFlags.addAll(extraFlags);
    Path log = dir.resolve("apiserver-" + (++starts) + ".log");
    apiserver = start(log, apiserverFlags.toArray(String[]::new));
    HttpClient http = client(null);
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        HttpRequest ready = HttpRequest.newBuilder(URI.create(apiUrl() + "/readyz"))
            .header("Authorization", "Bearer " + TOKEN).build();
        if (http.send(ready, HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (!apiserver.isAlive()) {
        break;
      }
      Thread.sleep(500);
    }
    List<String> lines = Files.readAllLines(log);
    throw new AssertionError("kube-apiserver not ready; log tail:\n"
        + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size())));
  }

  /** Stops the API server if it runs. */
  public void stopApiServer() throws InterruptedException {
    if (apiserver != null) {
      apiserver.destroy();
      apiserver.waitFor();
      apiserver = null;
    }
  }

  /**
   * Returns an HTTP client that presents {@code keyManagers} (or no client certificate) and
   * trusts any server certificate: the API server's serving certificate is self-signed by
   * {@code --cert-dir}; these tests check authentication and storage, not server TLS.
   */
  public static HttpClient client(KeyManager[] keyManagers) throws Exception {
    TrustManager[] trustAll = {new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }};
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(keyManagers, trustAll, new SecureRandom());
    return HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(5)).build();
  }

  @Override
  public void close() throws InterruptedException {
    stopApiServer();
    etcd.destroy();
    etcd.waitFor();
  }

  private static Process start(Path log, String... cmd) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.toLowerCase(Locale.ROOT).endsWith("_proxy"));
    return pb.start();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
