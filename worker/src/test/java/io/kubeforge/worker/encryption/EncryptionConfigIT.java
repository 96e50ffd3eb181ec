package io.kubeforge.worker.encryption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubeforge.worker.config.Fixtures;
import io.kubeforge.worker.config.Openssl;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * EncryptionConfigIT proves the EncryptionConfiguration against the real etcd 3.6.5 and
 * kube-apiserver v1.34.10 the conformance harness builds: a Secret written through the API server
 * is stored in etcd with the {@code k8s:enc:secretbox:v1:<key>:} prefix; after a rotation and an
 * API server restart the old Secret still reads back and a new one uses the new key. Skipped when
 * the binaries are not built.
 */
class EncryptionConfigIT {
  private static final Path BIN = Path.of("..", ".cache", "kube", "v1.34.10", "bin").toAbsolutePath().normalize();
  private static final String TOKEN = "kubeforge-it-token";
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void secretsAreStoredEncryptedAndSurviveKeyRotation(@TempDir Path tmp) throws Exception {
    assumeTrue(Files.isExecutable(BIN.resolve("etcd")) && Files.isExecutable(BIN.resolve("kube-apiserver")),
        "etcd/kube-apiserver not built (conformance/build.sh)");
    int etcdPort = freePort();
    int peerPort = freePort();
    Process etcd = start(tmp.resolve("etcd.log"), BIN.resolve("etcd").toString(), "--name", "it",
        "--data-dir", tmp.resolve("etcd").toString(),
        "--listen-client-urls", "http://127.0.0.1:" + etcdPort, "--advertise-client-urls", "http://127.0.0.1:" + etcdPort,
        "--listen-peer-urls", "http://127.0.0.1:" + peerPort, "--initial-advertise-peer-urls", "http://127.0.0.1:" + peerPort,
        "--initial-cluster", "it=http://127.0.0.1:" + peerPort);
    Process apiserver = null;
    try {
      Path encConfig = tmp.resolve("enc/encryption-config.yaml");
      Map<String, Object> request = new HashMap<>();
      request.put("encryption_config_path", encConfig.toString());
      EncryptionConfigPhase phase = new EncryptionConfigPhase();
      String firstKey = (String) phase.run(request, false).result().get("active_key");

      Files.write(tmp.resolve("sa.key"), Fixtures.bytes("config/keys/client-6.key"));
      assertThat(Openssl.run(tmp, "rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub").exit()).isZero();
      Files.writeString(tmp.resolve("tokens.csv"), TOKEN + ",it-admin,it-admin,system:masters\n");
      int apiPort = freePort();
      List<String> apiCmd = List.of(BIN.resolve("kube-apiserver").toString(),
          "--etcd-servers=http://127.0.0.1:" + etcdPort, "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
          "--secure-port=" + apiPort, "--cert-dir=" + tmp.resolve("serving"),
          "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
          "--service-account-key-file=" + tmp.resolve("sa.pub"),
          "--service-account-signing-key-file=" + tmp.resolve("sa.key"),
          "--token-auth-file=" + tmp.resolve("tokens.csv"), "--authorization-mode=RBAC",
          "--service-cluster-ip-range=10.96.0.0/12", "--encryption-provider-config=" + encConfig);
      apiserver = start(tmp.resolve("apiserver-1.log"), apiCmd.toArray(String[]::new));
      HttpClient http = insecureClient();
      String api = "https://127.0.0.1:" + apiPort;
      awaitReady(http, api, tmp.resolve("apiserver-1.log"));

      createSecret(http, api, "s1");
      assertThat(storedPrefix(http, etcdPort, "s1")).isEqualTo("k8s:enc:secretbox:v1:" + firstKey + ":");

      request.put("rotate", true);
      String secondKey = (String) phase.run(request, false).result().get("active_key");
      assertThat(secondKey).isNotEqualTo(firstKey);
      apiserver.destroy();
      apiserver.waitFor();
      apiserver = start(tmp.resolve("apiserver-2.log"), apiCmd.toArray(String[]::new));
      awaitReady(http, api, tmp.resolve("apiserver-2.log"));

      HttpResponse<String> old = http.send(get(api + "/api/v1/namespaces/default/secrets/s1"), HttpResponse.BodyHandlers.ofString());
      assertThat(old.statusCode()).as(old.body()).isEqualTo(200);
      assertThat(JSON.readTree(old.body()).at("/data/k").asText()).isEqualTo(Base64.getEncoder().encodeToString("v".getBytes()));
      createSecret(http, api, "s2");
      assertThat(storedPrefix(http, etcdPort, "s2")).isEqualTo("k8s:enc:secretbox:v1:" + secondKey + ":");
    } finally {
      if (apiserver != null) {
        apiserver.destroy();
        apiserver.waitFor();
      }
      etcd.destroy();
      etcd.waitFor();
    }
  }

  private static void createSecret(HttpClient http, String api, String name) throws Exception {
    String body = "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"" + name + "\"},\"data\":{\"k\":\"dg==\"}}";
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/namespaces/default/secrets"))
        .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
  }

  /** Reads the raw etcd value of a Secret through etcd's v3 JSON gateway and returns its prefix up to the key name. */
  private static String storedPrefix(HttpClient http, int etcdPort, String name) throws Exception {
    String key = Base64.getEncoder().encodeToString(("/registry/secrets/default/" + name).getBytes(StandardCharsets.UTF_8));
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + etcdPort + "/v3/kv/range"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"key\":\"" + key + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
    JsonNode kvs = JSON.readTree(r.body()).get("kvs");
    assertThat(kvs).as(r.body()).isNotNull();
    byte[] value = Base64.getDecoder().decode(kvs.get(0).get("value").asText());
    String text = new String(value, StandardCharsets.ISO_8859_1);
    assertThat(text).doesNotContain("\"k\"");
    int third = text.indexOf(':', text.indexOf("secretbox:v1:") + "secretbox:v1:".length());
    return text.substring(0, third + 1);
  }

  private static HttpRequest get(String url) {
    return HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + TOKEN).GET().build();
  }

  private static void awaitReady(HttpClient http, String api, Path log) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (http.send(get(api + "/readyz"), HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(500);
    }
    throw new AssertionError("kube-apiserver not ready; log tail: " + tail(log));
  }

  private static String tail(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
  }

  private static Process start(Path log, String... cmd) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.toLowerCase(java.util.Locale.ROOT).endsWith("_proxy"));
    return pb.start();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static HttpClient insecureClient() throws Exception {
    // the API server serves a self-signed certificate from --cert-dir; this test checks storage, not TLS
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
    ctx.init(null, trustAll, new SecureRandom());
    return HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(5)).build();
  }
}
