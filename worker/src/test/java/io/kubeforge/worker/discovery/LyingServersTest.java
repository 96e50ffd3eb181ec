package io.kubeforge.worker.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubeforge.worker.api.Capabilities;
import io.kubeforge.worker.kube.ClusterInfoJws;
import io.kubeforge.worker.pki.CaCertHash;
import io.kubeforge.worker.pki.Pem;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.WorkerException;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.PemKeyCertOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A corpus of lying servers: HTTPS servers on loopback (Vert.x, certificates from our own PKI:
 * the cluster's CA and another one) that each try one way to make token discovery trust them.
 * Each is refused with its own code and a message that says what happened; the honest server is
 * trusted, and no server ever receives the token.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LyingServersTest {
  private static final String TOKEN = "abcdef.0123456789abcdef";
  private static final String ID = "abcdef";
  private static final String SECRET = "0123456789abcdef";
  private static final String PATH = "/api/v1/namespaces/kube-public/configmaps/cluster-info";
  private static final String KUBEADM_CONFIG_PATH = "/api/v1/namespaces/kube-system/configmaps/kubeadm-config";
  private static final String CLUSTER_CONFIGURATION =
      "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: v1.34.10\n";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;
  private Vertx vertx;
  private final List<HttpServer> servers = new ArrayList<>();
  private final List<String> authorizationHeaders = new CopyOnWriteArrayList<>();
  private Pki real;
  private Pki other;
  private final DiscoveryPhase phase = new DiscoveryPhase(Duration.ofMillis(200));

  /** One PKI tree made by the worker's pki call: its CA and an apiserver certificate for 127.0.0.1. */
  private record Pki(Path dir, String caPem, String pin, String certPem, String keyPem) {}

  @BeforeAll
  void start() throws Exception {
    vertx = Vertx.vertx();
    real = pki("real");
    other = pki("other");
  }

  @AfterAll
  void stop() throws Exception {
    for (HttpServer s : servers) {
      s.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    // the token is never sent while cluster-info is fetched (unverified, then verified): only after
    // discovery trusted a CA, for kubeadm-config, to a server that CA verifies (the pinned real one,
    // or, with unsafe_skip_ca_verification, the one the token-signed cluster-info named)
    assertThat(authorizationHeaders).as("Authorization headers the servers received")
        .allMatch(h -> h.endsWith(" " + KUBEADM_CONFIG_PATH + " Bearer " + TOKEN))
        .filteredOn(h -> h.startsWith("other ")).hasSize(1);
  }

  private Pki pki(String name) throws Exception {
    Path dir = Files.createTempDirectory("lying-" + name);
    Map<String, Object> body = new HashMap<>();
    body.put("cert_dir", dir.toString());
    body.put("node_name", "cp-" + name);
    body.put("advertise_address", "127.0.0.1");
    Capabilities.all().get("pki").run(body, false);
    String ca = Files.readString(dir.resolve("ca.crt"));
    return new Pki(dir, ca, CaCertHash.of(Pem.parseCertificates(ca.getBytes()).get(0)),
        Files.readString(dir.resolve("apiserver.crt")), Files.readString(dir.resolve("apiserver.key")));
  }

  /** Starts an HTTPS server on a free loopback port presenting {@code tls}'s certificate; returns its port. */
  private int serve(Pki tls, Handler<HttpServerRequest> handler) throws Exception {
    HttpServerOptions options = new HttpServerOptions().setHost("127.0.0.1").setPort(0).setSsl(true)
        .setKeyCertOptions(new PemKeyCertOptions().setCertValue(Buffer.buffer(tls.certPem))
            .setKeyValue(Buffer.buffer(tls.keyPem)));
    HttpServer s = vertx.createHttpServer(options).requestHandler(req -> {
      String auth = req.getHeader("Authorization");
      if (auth != null) {
        authorizationHeaders.add((tls == real ? "real " : "other ") + req.path() + " " + auth);
      }
      if (req.path().equals(KUBEADM_CONFIG_PATH)) {
        kubeadmConfig(req, auth);
        return;
      }
      handler.handle(req);
    }).listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    servers.add(s);
    return s.actualPort();
  }

  /** kube-system/kubeadm-config for the token (as kubeadm's kubeadm:nodes-kubeadm-config Role allows), else 403. */
  private static void kubeadmConfig(HttpServerRequest req, String auth) {
    if (!("Bearer " + TOKEN).equals(auth)) {
      req.response().setStatusCode(403).putHeader("Content-Type", "application/json")
          .end("{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"Forbidden\",\"code\":403}");
      return;
    }
    ObjectNode cm = JSON.createObjectNode().put("apiVersion", "v1").put("kind", "ConfigMap");
    cm.putObject("metadata").put("name", "kubeadm-config").put("namespace", "kube-system");
    cm.putObject("data").put("ClusterConfiguration", CLUSTER_CONFIGURATION);
    req.response().putHeader("Content-Type", "application/json").end(cm.toString());
  }

  /** The kubeconfig kubeadm puts in cluster-info: an unnamed cluster with server and CA data. */
  private static String kubeconfig(int port, String... caPems) {
    String ca = Base64.getEncoder().encodeToString(String.join("", caPems).getBytes(StandardCharsets.UTF_8));
    return "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: " + ca + "\n"
        + "    server: https://127.0.0.1:" + port + "\n  name: \"\"\ncontexts: null\ncurrent-context: \"\"\n"
        + "kind: Config\npreferences: {}\nusers: null\n";
  }

  private static String configMap(String kubeconfig, String jws) {
    ObjectNode cm = JSON.createObjectNode().put("apiVersion", "v1").put("kind", "ConfigMap");
    cm.putObject("metadata").put("name", "cluster-info").put("namespace", "kube-public");
    ObjectNode data = cm.putObject("data").put("kubeconfig", kubeconfig);
    if (jws != null) {
      data.put("jws-kubeconfig-" + ID, jws);
    }
    return cm.toString();
  }

  private static Handler<HttpServerRequest> answering(java.util.function.Supplier<String> body) {
    return req -> {
      if (!req.path().equals(PATH)) {
        req.response().setStatusCode(404).end("{}");
        return;
      }
      req.response().putHeader("Content-Type", "application/json").end(body.get());
    };
  }

  /** A server that serves {@code content} with the token's valid signature, certificate from {@code tls}. */
  private int signed(Pki tls, java.util.function.IntFunction<String> content) throws Exception {
    return signed(tls, content, null);
  }

  /** Same, its answers dated by a clock {@code skew} away from this host's (null: no Date header). */
  private int signed(Pki tls, java.util.function.IntFunction<String> content, Duration skew) throws Exception {
    int[] port = new int[1];
    port[0] = serve(tls, dated(skew, answering(() -> {
      String k = content.apply(port[0]);
      return configMap(k, ClusterInfoJws.sign(k, ID, SECRET));
    })));
    return port[0];
  }

  /** Puts an HTTP Date header from a clock {@code skew} away from this host's on every answer (null: none). */
  private static Handler<HttpServerRequest> dated(Duration skew, Handler<HttpServerRequest> handler) {
    return req -> {
      if (skew != null) {
        req.response().putHeader("Date", DateTimeFormatter.RFC_1123_DATE_TIME
            .format(ZonedDateTime.now(ZoneOffset.UTC).plus(skew)));
      }
      handler.handle(req);
    };
  }

  private PhaseResult discover(int port, Object... kv) {
    Map<String, Object> body = new HashMap<>();
    body.put("api_server_endpoint", "127.0.0.1:" + port);
    body.put("token", TOKEN);
    body.put("ca_cert_hashes", List.of(real.pin));
    body.put("timeout", 30); // generous: a cold JVM's first TLS handshake on a loaded machine takes seconds
    for (int i = 0; i < kv.length; i += 2) {
      body.put((String) kv[i], kv[i + 1]);
    }
    return phase.run(body, false);
  }

  private WorkerException refusal(int port, Object... kv) {
    try {
      discover(port, kv);
    } catch (WorkerException e) {
      assertThat(e.getMessage()).doesNotContain(SECRET);
      return e;
    }
    throw new AssertionError("discovery trusted the server on port " + port);
  }

  @Test
  void theHonestServerIsTrustedAndItsClusterInfoBecomesBootstrapKubeletConfAndCaCrt() throws Exception {
    int port = signed(real, p -> kubeconfig(p, real.caPem), Duration.ZERO);
    Path etc = tmp.resolve("etc");
    PhaseResult r = discover(port, "kubeconfig_dir", etc.toString());
    assertThat(r.changed()).isTrue();
    assertThat(r.warnings()).isEmpty();
    assertThat(r.result()).containsEntry("server", "https://127.0.0.1:" + port).containsEntry("cluster_name", "kubernetes")
        .containsEntry("ca_cert", real.caPem).containsEntry("ca_cert_hash", real.pin)
        .containsEntry("cluster_configuration", CLUSTER_CONFIGURATION);
    assertThat(Files.readString(etc.resolve("pki/ca.crt"))).isEqualTo(real.caPem);
    String conf = Files.readString(etc.resolve("bootstrap-kubelet.conf"));
    assertThat(conf).isEqualTo(DiscoveryPhase.bootstrapKubeconfig("https://127.0.0.1:" + port,
        real.caPem.getBytes(), TOKEN));
    assertThat(conf).contains("    token: " + TOKEN + "\n").contains("current-context: tls-bootstrap-token-user@kubernetes\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(etc.resolve("bootstrap-kubelet.conf"))))
        .isEqualTo("rw-------");
    assertThat(r.result().toString()).doesNotContain(SECRET);

    PhaseResult again = discover(port, "kubeconfig_dir", etc.toString());
    assertThat(again.changed()).isFalse();
    assertThat(again.result().get("files").toString()).contains("action=kept").doesNotContain("created");
  }

  @Test
  void aServerWithAnotherCaIsRefusedNamingTheHashItFound() throws Exception {
    int port = signed(other, p -> kubeconfig(p, other.caPem));
    WorkerException e = refusal(port);
    assertThat(e.code()).isEqualTo("discovery.ca_not_pinned");
    assertThat(e.getMessage()).contains("none of the public keys [" + other.pin + "] are pinned").contains(real.pin);
  }

  @Test
  void theRealClusterInfoServedByAnImpostorWithAnotherCertificateIsRefusedAtTheVerifiedFetch() throws Exception {
    int[] realPort = {signed(real, p -> kubeconfig(p, real.caPem))};
    String copied = kubeconfig(realPort[0], real.caPem);
    int port = serve(other, answering(() -> configMap(copied, ClusterInfoJws.sign(copied, ID, SECRET))));
    WorkerException e = refusal(port);
    assertThat(e.code()).isEqualTo("discovery.untrusted_server");
    assertThat(e.getMessage()).contains("does not verify against the pinned CA [" + real.pin + "]")
        .doesNotContain("match no pin");
  }

  @Test
  void aCopiedClusterInfoReSignedWithAnotherSecretIsRefusedAsABadSignature() throws Exception {
    int port = serve(real, answering(() -> {
      String k = kubeconfig(1, real.caPem);
      return configMap(k, ClusterInfoJws.sign(k, ID, "ffffffffffffffff"));
    }));
    WorkerException e = refusal(port);
    assertThat(e.code()).isEqualTo("discovery.bad_signature");
    assertThat(e.getMessage()).contains("failed to verify the JWS signature").contains("token id \"abcdef\"");
  }

  @Test
  void aClusterInfoWithoutASignatureForTheTokenIsRefusedAfterTheTimeoutNamingTheLikelyCauses() throws Exception {
    // its clock agrees with this host's: the missing signature is not blamed on clock skew
    int port = serve(real, dated(Duration.ZERO, answering(() -> configMap(kubeconfig(1, real.caPem), null))));
    long start = System.nanoTime();
    // 4 s: a cold JVM's first TLS handshake on a loaded machine takes seconds
    WorkerException e = refusal(port, "timeout", 4);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofSeconds(4), Duration.ofSeconds(9));
    assertThat(e.code()).isEqualTo("discovery.no_signature");
    assertThat(e.getMessage()).contains("could not find a JWS signature").contains("expired")
        .contains("bootstrap signer").doesNotContain("clock");
  }

  @Test
  void aMissingSignatureFromAServerWhoseClockIsAnHourAheadIsRefusedAsClockSkewNamingTheOffset() throws Exception {
    int port = serve(real, dated(Duration.ofHours(1), answering(() -> configMap(kubeconfig(1, real.caPem), null))));
    WorkerException e = refusal(port, "timeout", 4);
    assertThat(e.status()).isEqualTo(502);
    assertThat(e.code()).isEqualTo("discovery.clock_skew");
    assertThat(e.getMessage()).contains("could not find a JWS signature").contains("clock skew is visible")
        .containsPattern("the API server's clock is (3599|3600|3601) s ahead of this host's")
        .contains("expiration").contains("Synchronise the clocks");
  }

  @Test
  void aSignedAnswerFromASkewedServerIsTrustedWithAWarningAndSkewWithinFiveMinutesIsNotMentioned() throws Exception {
    int behind = signed(real, p -> kubeconfig(p, real.caPem), Duration.ofHours(-2));
    PhaseResult r = discover(behind);
    assertThat(r.result()).containsEntry("ca_cert_hash", real.pin);
    assertThat(r.warnings()).singleElement().asString()
        .containsPattern("the API server's clock is (7199|7200|7201) s behind this host's").contains("NTP");

    int close = signed(real, p -> kubeconfig(p, real.caPem), Duration.ofMinutes(4));
    assertThat(discover(close).warnings()).isEmpty();
  }

  @Test
  void anAlgNoneSignatureIsRefusedAsAnUnsupportedAlgorithm() throws Exception {
    String none = Base64.getUrlEncoder().withoutPadding()
        .encodeToString("{\"alg\":\"none\",\"kid\":\"abcdef\"}".getBytes()) + "..";
    int port = serve(real, answering(() -> configMap(kubeconfig(1, real.caPem), none)));
    WorkerException e = refusal(port);
    assertThat(e.code()).isEqualTo("discovery.unsupported_algorithm");
    assertThat(e.getMessage()).contains("alg \"none\"").contains("only HS256");
  }

  @Test
  void aServerWhoseSecondAnswerDiffersFromTheFirstIsRefused() throws Exception {
    AtomicInteger n = new AtomicInteger();
    int port = signed(real, p -> kubeconfig(p + n.getAndIncrement(), real.caPem));
    WorkerException e = refusal(port);
    assertThat(e.code()).isEqualTo("discovery.content_changed");
    assertThat(e.getMessage()).contains("was different from the first");
    assertThat(n.get()).isEqualTo(2);
  }

  @Test
  void aRedirectIsNeverFollowed() throws Exception {
    int target = signed(real, p -> kubeconfig(p, real.caPem));
    int port = serve(real, req -> req.response().setStatusCode(302)
        .putHeader("Location", "https://127.0.0.1:" + target + PATH).end());
    WorkerException e = refusal(port);
    assertThat(e.code()).isEqualTo("discovery.redirect");
    assertThat(e.getMessage()).contains("HTTP 302 to https://127.0.0.1:" + target).contains("never followed");
  }

  @Test
  void aServerThatNeverAnswersIsUnreachableOnceTheTimeoutHasPassed() throws Exception {
    int port = serve(real, req -> { }); // accepts the TLS connection and the request, answers nothing
    long start = System.nanoTime();
    WorkerException e = refusal(port, "timeout", 2);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofSeconds(2), Duration.ofSeconds(7));
    assertThat(e.status()).isEqualTo(504);
    assertThat(e.code()).isEqualTo("discovery.unreachable");
    assertThat(e.getMessage()).contains("timeout of 2 s");
  }

  @Test
  void anExtraCaInTheBundleBesideThePinnedOneIsNeverTrusted() throws Exception {
    int port = signed(other, p -> kubeconfig(p, real.caPem, other.caPem));
    WorkerException e = refusal(port);
    assertThat(e.code()).isEqualTo("discovery.untrusted_server");
    assertThat(e.getMessage()).contains("also carried CA(s) [" + other.pin + "] that match no pin and are never trusted");
  }

  @Test
  void withAnExtraCaOnTheHonestServerOnlyThePinnedCaIsKeptAndSaid() throws Exception {
    int port = signed(real, p -> kubeconfig(p, real.caPem, other.caPem));
    PhaseResult r = discover(port);
    assertThat(r.result()).containsEntry("ca_cert", real.caPem).containsEntry("ca_cert_hash", real.pin);
    assertThat(r.warnings()).singleElement().asString().contains(other.pin).contains("only the pinned CA is kept");
  }

  @Test
  void unsafeSkipCaVerificationTrustsTheSignedContentAndSaysSoInAWarning() throws Exception {
    int port = signed(other, p -> kubeconfig(p, other.caPem));
    PhaseResult r = discover(port, "ca_cert_hashes", List.of(), "unsafe_skip_ca_verification", true);
    assertThat(r.result()).containsEntry("ca_cert_hash", other.pin)
        .containsEntry("cluster_configuration", CLUSTER_CONFIGURATION);
    assertThat(r.warnings()).singleElement().asString().contains("unsafe_skip_ca_verification").contains("not checked");
  }

  @Test
  void badInputIsRefusedNamingTheFieldBeforeAnyConnection() {
    assertThatThrownBy(() -> discover(1, "ca_cert_hashes", List.of()))
        .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.field()).isEqualTo("ca_cert_hashes"));
    for (String bad : List.of("xyz", "sha256:0011223344", "md5:" + "0".repeat(64), real.pin + real.pin.substring(7))) {
      assertThatThrownBy(() -> discover(1, "ca_cert_hashes", List.of(real.pin, bad)))
          .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.field()).isEqualTo("ca_cert_hashes[1]"));
    }
    assertThatThrownBy(() -> discover(1, "token", "abcdef.short"))
        .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.field()).isEqualTo("token"));
    assertThatThrownBy(() -> discover(1, "api_server_endpoint", "127.0.0.1"))
        .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.field()).isEqualTo("api_server_endpoint"));
    assertThatThrownBy(() -> discover(1, "discovery_file", "http://example.com/x"))
        .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.field()).isEqualTo("api_server_endpoint"));
    assertThat(DiscoveryPhase.pin("SHA256:" + real.pin.substring(7).toUpperCase(), "f")).isEqualTo(real.pin);
  }

  @Test
  void aBracketedIpv6EndpointIsAccepted() throws Exception {
    WorkerException e = refusal(1, "api_server_endpoint", "[::1]:1", "timeout", 1);
    assertThat(e.code()).isEqualTo("discovery.unreachable");
    assertThat(e.getMessage()).contains("https://[::1]:1");
  }

  private Path discoveryFile(int port, String caPem, String user) throws Exception {
    Path file = Files.createTempFile(tmp, "discovery", ".conf");
    Files.writeString(file, "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:"
        + port + "\n    certificate-authority-data: " + Base64.getEncoder().encodeToString(caPem.getBytes()) + "\n"
        + "contexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\nusers:\n- name: u\n  user: " + user + "\n");
    return file;
  }

  private PhaseResult fileDiscovery(Path file, Object... kv) {
    Map<String, Object> body = new HashMap<>();
    body.put("discovery_file", file.toString());
    body.put("timeout", 30);
    for (int i = 0; i < kv.length; i += 2) {
      body.put((String) kv[i], kv[i + 1]);
    }
    return phase.run(body, false);
  }

  @Test
  void aDiscoveryFileIsVerifiedAgainstItsOwnCaAndGivesTheTokensBootstrapKubeconfig() throws Exception {
    int port = signed(real, p -> kubeconfig(p, real.caPem));
    Path etc = tmp.resolve("file-etc");
    PhaseResult r = fileDiscovery(discoveryFile(port, real.caPem, "{}"), "token", TOKEN, "kubeconfig_dir", etc.toString());
    assertThat(r.result()).containsEntry("method", "file").containsEntry("server", "https://127.0.0.1:" + port)
        .containsEntry("ca_cert_hash", real.pin);
    assertThat(Files.readString(etc.resolve("bootstrap-kubelet.conf")))
        .isEqualTo(DiscoveryPhase.bootstrapKubeconfig("https://127.0.0.1:" + port, real.caPem.getBytes(), TOKEN));

    assertThatThrownBy(() -> fileDiscovery(discoveryFile(port, real.caPem, "{}")))
        .isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.field()).isEqualTo("token"));
    Path withToken = discoveryFile(port, real.caPem, "{token: " + TOKEN + "}");
    PhaseResult asIs = fileDiscovery(withToken, "kubeconfig_dir", tmp.resolve("as-is").toString());
    assertThat(Files.readString(tmp.resolve("as-is/bootstrap-kubelet.conf"))).isEqualTo(Files.readString(withToken));
    assertThat(asIs.result()).containsEntry("cluster_name", "c");
  }

  @Test
  void aDiscoveryFileWhoseServerIsAnImpostorIsRefused() throws Exception {
    int port = signed(other, p -> kubeconfig(p, other.caPem));
    WorkerException e = org.assertj.core.api.Assertions.catchThrowableOfType(WorkerException.class,
        () -> fileDiscovery(discoveryFile(port, real.caPem, "{}"), "token", TOKEN));
    assertThat(e.code()).isEqualTo("discovery.untrusted_server");
    assertThat(e.getMessage()).contains("does not verify against the discovery file's CA");
  }

  @Test
  void aDiscoveryUrlIsVerifiedAgainstTheSystemsRoots() throws Exception {
    int port = serve(real, req -> req.response().end("apiVersion: v1\n"));
    WorkerException e = org.assertj.core.api.Assertions.catchThrowableOfType(WorkerException.class,
        () -> phase.run(Map.of("discovery_file", "https://127.0.0.1:" + port + "/cluster.conf", "timeout", 5), false));
    assertThat(e.code()).isEqualTo("discovery.file_unavailable");
    assertThat(e.getMessage()).contains("not signed by the system's trusted roots");
  }
}
