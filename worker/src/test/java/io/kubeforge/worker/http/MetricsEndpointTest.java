package io.kubeforge.worker.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeforge.worker.api.ExpiryMetrics;
import io.kubeforge.worker.certinfo.CertInfoPhase;
import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.pki.FixtureKeys;
import io.kubeforge.worker.pki.PkiPhase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code GET /metrics} over real loopback HTTP, reading a real tree made by the PKI phase with a
 * short validity, the folders named in a real {@code metrics.yaml}.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
class MetricsEndpointTest {
  private static final String TOKEN = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  private static final Instant START = Instant.parse("2026-11-23T12:00:00Z");
  private static final Instant NOW = START.plus(Duration.ofHours(1));

  @TempDir
  Path tmp;
  private Path pki;
  private Vertx vertx;
  private WebClient client;
  private int port;

  @BeforeEach
  void start() throws Exception {
    pki = tmp.resolve("etc/pki");
    new PkiPhase(Clock.fixed(START, ZoneOffset.UTC), new FixtureKeys()).run(ClusterModel.pkiRequest(Map.of(
        "cert_dir", pki.toString(), "advertise_address", "10.0.0.1", "node_name", "cp-1",
        "certificate_validity", "48h")), false);
    Files.writeString(tmp.resolve("metrics.yaml"), "cert_dir: " + pki + "\nkubeconfig_dir: " + tmp.resolve("etc")
        + "\nkubelet_cert_dir: " + tmp.resolve("kubelet") + "\n");
    ExpiryMetrics metrics = new ExpiryMetrics(tmp.resolve("metrics.yaml"),
        new CertInfoPhase(Clock.fixed(NOW, ZoneOffset.UTC)));
    vertx = Vertx.vertx();
    port = new WorkerServer(vertx, TOKEN, Map.of(), "test", metrics).listen("127.0.0.1", 0).await().actualPort();
    client = WebClient.create(vertx);
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  private HttpResponse<Buffer> scrape(String token) {
    var req = client.get(port, "127.0.0.1", "/metrics");
    if (token != null) {
      req.putHeader("Authorization", "Bearer " + token);
    }
    return req.send().await();
  }

  private String series(String metric, String group, String name, String path) {
    return metric + "{group=\"" + group + "\",name=\"" + name + "\",path=\"" + path + "\"}";
  }

  @ParameterizedTest(name = "a scrape {0} is refused with 401 and reads nothing")
  @CsvSource(nullValues = "none", value = {
      "without a token, none",
      "with a wrong token, 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdee"})
  void aScrapeWithoutTheTokenIsRefused(String description, String token) {
    HttpResponse<Buffer> r = scrape(token);
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.getHeader("WWW-Authenticate")).isEqualTo("Bearer realm=\"kubeforge\"");
    assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("auth.unauthorized");
    assertThat(r.bodyAsString()).doesNotContain("kubeforge_certificate");
  }

  @Test
  @DisplayName("with the token, every certificate's expiry and residual time are gauges in Prometheus text")
  void withTheTokenTheExpiriesAreGauges() {
    HttpResponse<Buffer> r = scrape(TOKEN);

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.getHeader("Content-Type")).startsWith("text/plain");
    String body = r.bodyAsString();
    long apiNotAfter = START.plus(Duration.ofHours(48)).getEpochSecond();
    assertThat(body).contains("# TYPE kubeforge_certificate_expiry_timestamp_seconds gauge");
    assertThat(body).contains(series("kubeforge_certificate_expiry_timestamp_seconds", "certificates", "apiserver",
        pki.resolve("apiserver.crt").toString()) + " " + (double) apiNotAfter);
    assertThat(body).contains(series("kubeforge_certificate_residual_seconds", "certificates", "apiserver",
        pki.resolve("apiserver.crt").toString()) + " " + (double) (47 * 3600));
    assertThat(body).contains(series("kubeforge_certificate_verified", "certificates", "etcd-peer",
        pki.resolve("etcd/peer.crt").toString()) + " 1.0");
    assertThat(body).contains(series("kubeforge_certificate_expiry_timestamp_seconds", "certificate_authorities",
        "ca", pki.resolve("ca.crt").toString()));
    assertThat(body).contains("kubeforge_certificate_read_errors 0.0");
    assertThat(body).doesNotContain("name=\"admin.conf\"").doesNotContain("name=\"kubelet-client\"");
  }

  @Test
  @DisplayName("a certificate that disappears loses its series on the next scrape, and one that cannot be read is counted")
  void seriesFollowTheFiles() throws Exception {
    assertThat(scrape(TOKEN).bodyAsString()).contains("name=\"front-proxy-client\"");
    Files.delete(pki.resolve("front-proxy-client.crt"));
    Files.writeString(pki.resolve("apiserver.crt"), "not a certificate");

    String body = scrape(TOKEN).bodyAsString();

    assertThat(body).doesNotContain("name=\"front-proxy-client\"").doesNotContain("name=\"apiserver\"");
    assertThat(body).contains("kubeforge_certificate_read_errors 1.0");
  }

  @Test
  @DisplayName("an unusable metrics.yaml is a 409 naming the field, never a 500")
  void anUnusableConfigIsAConflictNamingTheField() throws Exception {
    Files.writeString(tmp.resolve("metrics.yaml"), "cert_dir: relative/pki\n");
    HttpResponse<Buffer> r = scrape(TOKEN);
    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("metrics.invalid_config");
    assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("field")).isEqualTo("cert_dir");

    Files.writeString(tmp.resolve("metrics.yaml"), "warn_before: 1h\n");
    r = scrape(TOKEN);
    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("field")).isEqualTo("warn_before");
  }

  @Test
  @DisplayName("without metrics.yaml the metrics read kubeadm's folders; another method is a 405")
  void withoutConfigTheDefaultsAreRead() throws Exception {
    Files.delete(tmp.resolve("metrics.yaml"));
    HttpResponse<Buffer> r = scrape(TOKEN);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.bodyAsString()).doesNotContain(pki.toString());
    HttpResponse<Buffer> post = client.post(port, "127.0.0.1", "/metrics").putHeader("Authorization", "Bearer " + TOKEN)
        .send().await();
    assertThat(post.statusCode()).isEqualTo(405);
  }

  @Test
  @DisplayName("a scraper that asks for protobuf or OpenMetrics still gets a text exposition")
  void otherFormatsAreText() {
    for (String accept : new String[] {"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
        + "encoding=delimited", "application/openmetrics-text;version=1.0.0"}) {
      HttpResponse<Buffer> r = client.get(port, "127.0.0.1", "/metrics").putHeader("Authorization", "Bearer " + TOKEN)
          .putHeader("Accept", accept).send().await();
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.getHeader("Content-Type")).containsAnyOf("text/plain", "application/openmetrics-text");
      assertThat(r.bodyAsString()).contains("kubeforge_certificate_expiry_timestamp_seconds{");
    }
  }
}
