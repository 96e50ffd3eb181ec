package io.kubeforge.worker.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubeforge.worker.api.Capability;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.WorkerException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Drives the real router over real HTTP on a loopback port. The capabilities here are small
 * stand-ins: what is under test is the envelope, authentication, limits and the failure handler.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class WorkerServerTest {
  private static final String TOKEN = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

  private final AtomicReference<Map<String, Object>> lastBody = new AtomicReference<>();
  private final AtomicReference<Boolean> lastDryRun = new AtomicReference<>();
  private final AtomicReference<String> lastThread = new AtomicReference<>();
  private Vertx vertx;
  private WebClient client;
  private int port;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    Capability echo = (body, dryRun) -> {
      lastBody.set(body);
      lastDryRun.set(dryRun);
      lastThread.set(Thread.currentThread().getName());
      return new PhaseResult(!dryRun, List.of("a warning"), Map.of("seen", body.size()),
          Map.of("before", "a", "after", "b"));
    };
    Capability picky = (body, dryRun) -> {
      throw WorkerException.badInput("pki.invalid_san", "apiserver_cert_sans[1]", "'x!' is not a DNS name");
    };
    Capability broken = (body, dryRun) -> {
      throw new IllegalStateException("secret detail /etc/kubernetes/pki/ca.key");
    };
    WorkerServer server = new WorkerServer(vertx, TOKEN, Map.of("echo", echo, "picky", picky, "broken", broken), "test");
    port = server.listen("127.0.0.1", 0).await().actualPort();
    client = WebClient.create(vertx);
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  private HttpResponse<Buffer> post(String path, String token, String body) {
    var req = client.post(port, "127.0.0.1", path).putHeader("Content-Type", "application/json");
    if (token != null) {
      req.putHeader("Authorization", "Bearer " + token);
    }
    return req.sendBuffer(Buffer.buffer(body)).await();
  }

  @Test
  @DisplayName("health answers without a token")
  void healthAnswersWithoutAToken() {
    HttpResponse<Buffer> r = client.get(port, "127.0.0.1", "/healthz").send().await();
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.bodyAsJsonObject().getString("status")).isEqualTo("ok");
  }

  @ParameterizedTest(name = "a request {0} is refused with 401")
  @CsvSource(nullValues = "none", value = {
      "without a token, none",
      "with a wrong token, 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdee",
      "with a prefix of the token, 0123456789abcdef"})
  void requestsWithoutTheTokenAreRefused(String description, String token) {
    HttpResponse<Buffer> r = post("/v1/echo", token, "{}");
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("auth.unauthorized");
    assertThat(lastBody.get()).isNull();
  }

  @Test
  @DisplayName("a call answers the envelope and runs off the event loop")
  void aCallAnswersTheEnvelope() {
    HttpResponse<Buffer> r = post("/v1/echo", TOKEN, "{\"a\":1,\"b\":[\"x\"]}");
    assertThat(r.statusCode()).isEqualTo(200);
    JsonObject json = r.bodyAsJsonObject();
    assertThat(json.getBoolean("changed")).isTrue();
    assertThat(json.getJsonArray("warnings").getList()).containsExactly("a warning");
    assertThat(json.getJsonObject("result").getInteger("seen")).isEqualTo(2);
    assertThat(json.getJsonObject("diff").getString("after")).isEqualTo("b");
    assertThat(lastThread.get()).doesNotContain("eventloop");
  }

  @Test
  @DisplayName("dry_run is taken out of the body and handed over as a flag")
  void dryRunIsAFlag() {
    HttpResponse<Buffer> r = post("/v1/echo", TOKEN, "{\"dry_run\":true,\"a\":1}");
    assertThat(r.bodyAsJsonObject().getBoolean("changed")).isFalse();
    assertThat(lastDryRun.get()).isTrue();
    assertThat(lastBody.get()).containsOnlyKeys("a");
  }

  @ParameterizedTest(name = "{0} is a 400 with code {2}")
  @CsvSource(delimiter = '|', value = {
      "malformed JSON | {\"a\": | request.malformed_json",
      "a JSON array instead of an object | [1,2] | request.not_an_object",
      "duplicate keys | {\"a\":1,\"a\":2} | request.malformed_json",
      "trailing garbage | {\"a\":1} x | request.malformed_json",
      "a non-boolean dry_run | {\"dry_run\":\"yes\"} | request.invalid_type",
      "nesting deeper than the limit | [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]] | request.malformed_json"})
  void badBodiesAreRefused(String description, String body, String code) {
    HttpResponse<Buffer> r = post("/v1/echo", TOKEN, body);
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo(code);
    assertThat(r.bodyAsString()).doesNotContain("Exception").doesNotContain("\tat ");
  }

  @Test
  @DisplayName("a capability's bad-input error keeps its code, field and message")
  void badInputKeepsCodeAndField() {
    HttpResponse<Buffer> r = post("/v1/picky", TOKEN, "{}");
    assertThat(r.statusCode()).isEqualTo(400);
    JsonObject error = r.bodyAsJsonObject().getJsonObject("error");
    assertThat(error.getString("code")).isEqualTo("pki.invalid_san");
    assertThat(error.getString("field")).isEqualTo("apiserver_cert_sans[1]");
    assertThat(error.getString("message")).startsWith("apiserver_cert_sans[1]: ");
  }

  @Test
  @DisplayName("an internal fault is a 500 that reveals nothing of its cause")
  void internalFaultsRevealNothing() {
    HttpResponse<Buffer> r = post("/v1/broken", TOKEN, "{}");
    assertThat(r.statusCode()).isEqualTo(500);
    assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("internal");
    assertThat(r.bodyAsString()).doesNotContain("ca.key").doesNotContain("IllegalState");
  }

  @Test
  @DisplayName("a body over 1 MiB is a 413")
  void oversizedBodiesAreRefused() {
    HttpResponse<Buffer> r = post("/v1/echo", TOKEN, "{\"a\":\"" + "x".repeat(1 << 20) + "\"}");
    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("request.too_large");
    assertThat(lastBody.get()).isNull();
  }

  @Test
  @DisplayName("headers over 8 KiB are refused before any handler runs")
  void oversizedHeadersAreRefused() {
    HttpResponse<Buffer> r = client.post(port, "127.0.0.1", "/v1/echo")
        .putHeader("Authorization", "Bearer " + TOKEN).putHeader("X-Filler", "y".repeat(9000))
        .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer("{}")).await();
    assertThat(r.statusCode()).isGreaterThanOrEqualTo(400);
    assertThat(lastBody.get()).isNull();
  }

  @ParameterizedTest(name = "{0} {1} answers {2} in the error shape")
  @CsvSource({"GET, /v1/echo, 405", "POST, /v1/nowhere, 404", "GET, /elsewhere, 404"})
  void routingErrorsUseTheErrorShape(String method, String path, int status) {
    HttpResponse<Buffer> r = client.request(io.vertx.core.http.HttpMethod.valueOf(method), port, "127.0.0.1", path)
        .putHeader("Authorization", "Bearer " + TOKEN).send().await();
    assertThat(r.statusCode()).isEqualTo(status);
    assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("message")).isNotBlank();
  }

  @Test
  @DisplayName("a body that is not JSON by content type is a 415")
  void nonJsonContentTypeIsRefused() {
    HttpResponse<Buffer> r = client.post(port, "127.0.0.1", "/v1/echo").putHeader("Authorization", "Bearer " + TOKEN)
        .putHeader("Content-Type", "text/plain").sendBuffer(Buffer.buffer("{}")).await();
    assertThat(r.statusCode()).isEqualTo(415);
  }

  @ParameterizedTest(name = "a {0} body is a 415, never parsed")
  @CsvSource({
      "form-encoded, application/x-www-form-urlencoded, a=" ,
      "multipart, multipart/form-data; boundary=b, --b\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--b--"})
  void formBodiesAreRefusedBeforeTheyAreRead(String description, String type, String body) {
    String big = body + "x".repeat(4096);
    HttpResponse<Buffer> r = client.post(port, "127.0.0.1", "/v1/echo").putHeader("Authorization", "Bearer " + TOKEN)
        .putHeader("Content-Type", type).sendBuffer(Buffer.buffer(big)).await();
    assertThat(r.statusCode()).isEqualTo(415);
    assertThat(r.bodyAsJsonObject().getJsonObject("error").getString("code")).isEqualTo("request.unsupported_media_type");
    assertThat(lastBody.get()).isNull();
  }

  @Test
  @DisplayName("an HTTP/1.1 request without a Host header is a 400")
  void aRequestWithoutHostIsA400() throws Exception {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(("POST /v1/echo HTTP/1.1\r\nAuthorization: Bearer " + TOKEN
          + "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
          .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      StringBuilder answer = new StringBuilder();
      byte[] buf = new byte[4096];
      for (int n; !answer.toString().endsWith("}}") && (n = socket.getInputStream().read(buf)) > 0; ) {
        answer.append(new String(buf, 0, n, java.nio.charset.StandardCharsets.UTF_8));
      }
      assertThat(answer).startsWith("HTTP/1.1 400").contains("request.bad").contains("Host");
    }
    assertThat(lastBody.get()).isNull();
  }

  @Test
  @DisplayName("a malformed chunked body is a 400 (or a closed connection), never an internal error")
  void aMalformedChunkedBodyIsA400() throws Exception {
    List<java.util.logging.LogRecord> severe = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.logging.Handler capture = new java.util.logging.Handler() {
      @Override public void publish(java.util.logging.LogRecord r) {
        if (r.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue()) {
          severe.add(r);
        }
      }
      @Override public void flush() {}
      @Override public void close() {}
    };
    java.util.logging.Logger.getLogger(FailureHandler.class.getName()).addHandler(capture);
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
      socket.setSoTimeout(5000);
      socket.getOutputStream().write(("POST /v1/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
          + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n")
          .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      byte[] buf = new byte[4096];
      String answer = new String(buf, 0, Math.max(0, socket.getInputStream().read(buf)), java.nio.charset.StandardCharsets.UTF_8);
      assertThat(answer).satisfiesAnyOf(a -> assertThat(a).isEmpty(), a -> assertThat(a).startsWith("HTTP/1.1 400"));
    } finally {
      Thread.sleep(200);
      java.util.logging.Logger.getLogger(FailureHandler.class.getName()).removeHandler(capture);
    }
    assertThat(severe).isEmpty();
    assertThat(lastBody.get()).isNull();
  }

  @Test
  @DisplayName("the OpenAPI document is served to authenticated callers")
  void openapiIsServed() {
    HttpResponse<Buffer> r = client.get(port, "127.0.0.1", "/v1/openapi.yaml")
        .putHeader("Authorization", "Bearer " + TOKEN).send().await();
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.bodyAsString()).startsWith("openapi: 3").contains("/v1/pki:").contains("/v1/cert-info:");
  }
}
