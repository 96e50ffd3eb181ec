package io.kubeforge.worker.http;

import io.kubeforge.worker.api.Capability;
import io.kubeforge.worker.api.ExpiryMetrics;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.WorkerException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;

/**
 * WorkerServer is the worker's HTTP surface: {@code GET /healthz}, {@code GET /v1/openapi.yaml},
 * one {@code POST /v1/<name>} per {@link Capability}, and {@code GET /metrics} (Prometheus text,
 * bearer token as for {@code /v1}). Handlers only decode, call and encode;
 * capabilities run off the event loop; every error body comes from {@link FailureHandler}.
 */
public final class WorkerServer {
  /** Largest request body accepted; a PKI request is a few hundred bytes. */
  public static final long MAX_BODY_BYTES = 1 << 20;
  /**
   * Seconds a connection may carry no bytes, a request being answered included: longer than the
   * longest call the worker accepts (static-pods with etcd_join: four steps of at most 600 s), so a
   * slow answer is never cut off; a client that went away is closed after it.
   */
  public static final int IDLE_TIMEOUT_S = 2700;
  /** Largest request header block accepted. */
  public static final int MAX_HEADER_BYTES = 8 * 1024;

  private static final Logger LOG = Logger.getLogger(WorkerServer.class.getName());

  private final Vertx vertx;
  private final String token;
  private final Map<String, Capability> capabilities;
  private final String version;
  private final ExpiryMetrics metrics;

  /**
   * Creates a server without {@code /metrics}.
   *
   * @param token the bearer token every {@code /v1} request must carry
   * @param capabilities the calls, keyed by their name under {@code /v1/}
   */
  public WorkerServer(Vertx vertx, String token, Map<String, Capability> capabilities, String version) {
    this(vertx, token, capabilities, version, null);
  }

  /**
   * Creates a server.
   *
   * @param token the bearer token every {@code /v1} and {@code /metrics} request must carry
   * @param capabilities the calls, keyed by their name under {@code /v1/}
   * @param metrics the gauges {@code GET /metrics} refreshes and serves, or null for no such endpoint
   */
  public WorkerServer(Vertx vertx, String token, Map<String, Capability> capabilities, String version,
                      ExpiryMetrics metrics) {
    this.vertx = vertx;
    this.token = token;
    this.capabilities = Map.copyOf(capabilities);
    this.version = version;
    this.metrics = metrics;
  }

  /** Binds to {@code host:port} (port 0 picks a free one) and returns the bound server. */
  public Future<HttpServer> listen(String host, int port) {
    HttpServerOptions options = new HttpServerOptions()
        .setHost(host)
        .setPort(port)
        .setMaxHeaderSize(MAX_HEADER_BYTES)
        .setMaxInitialLineLength(4096)
        .setMaxFormAttributeSize(0)
        .setCompressionSupported(false)
        .setDecompressionSupported(false)
        .setIdleTimeout(IDLE_TIMEOUT_S);
    Router router = router();
    return vertx.createHttpServer(options).requestHandler(request -> {
      if (request.version() == HttpVersion.HTTP_1_1 && request.getHeader(HttpHeaders.HOST) == null) {
        // RFC 9112 3.2: a 1.1 request without Host is a 400, answered before the router (which
        // needs an authority to build the request's URI)
        request.response().setStatusCode(400).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
            .putHeader(HttpHeaders.CONNECTION, "close")
            .end(Json.encode(Map.of("error", Map.of("code", "request.bad",
                "message", "an HTTP/1.1 request must carry a Host header"))));
        return;
      }
      router.handle(request);
    }).listen();
  }

  /**
   * Builds the router. The handlers are added in a deliberate order: request log, failure
   * handler, health (no auth), then auth before the body is read, then the body limit, then the
   * endpoints.
   */
  Router router() {
    Router router = Router.router(vertx);
    router.route().handler(WorkerServer::logRequest);
    router.route().failureHandler(new FailureHandler());
    router.get("/healthz").handler(ctx -> ctx.json(Map.of("status", "ok", "version", version)));
    if (metrics != null) {
      router.route("/metrics").handler(new BearerAuth(token));
      // the certificates are read again for every scrape, off the event loop, one scrape at a
      // time; Micrometer is loaded by the first scrape, not at start
      AtomicReference<Handler<RoutingContext>> scrape = new AtomicReference<>();
      router.get("/metrics").handler(ctx -> vertx.executeBlocking(() -> {
        metrics.refresh();
        return null;
      }, true).onSuccess(v -> scrape.updateAndGet(h -> h != null ? h
          : PrometheusScrapingHandler.create(metrics.registry())).handle(ctx)).onFailure(ctx::fail));
    }
    router.route("/v1/*").handler(new BearerAuth(token));
    router.route("/v1/*").handler(WorkerServer::jsonOnly);
    router.route("/v1/*").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
    String openapi = openapiDocument();
    router.get("/v1/openapi.yaml").handler(ctx -> ctx.response()
        .putHeader("Content-Type", "application/yaml").end(openapi));
    capabilities.forEach((name, capability) ->
        router.route(HttpMethod.POST, "/v1/" + name).consumes("application/json")
            .handler(ctx -> call(ctx, capability)));
    for (int status : new int[] {404, 405, 415}) {
      router.errorHandler(status, ctx -> FailureHandler.write(ctx, status,
          status == 404 ? "request.not_found" : status == 405 ? "request.method_not_allowed"
              : "request.unsupported_media_type",
          status == 404 ? "no such endpoint: " + ctx.request().path()
              : status == 405 ? "method " + ctx.request().method() + " not allowed on " + ctx.request().path()
              : "request body must be application/json", null));
    }
    return router;
  }

  /**
   * Refuses a body of any media type but JSON with a 415 before it is read: BodyHandler would
   * otherwise decode form-encoded and multipart bodies (and fail on them with a 500).
   */
  private static void jsonOnly(RoutingContext ctx) {
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    if (type != null && !type.split(";", 2)[0].strip().equalsIgnoreCase("application/json")) {
      ctx.fail(415);
      return;
    }
    ctx.next();
  }

  private void call(RoutingContext ctx, Capability capability) {
    Map<String, Object> body = Json.decodeObject(ctx.body().asString(StandardCharsets.UTF_8.name()));
    boolean dryRun = dryRun(body.remove("dry_run"));
    vertx.executeBlocking(() -> capability.run(body, dryRun), false)
        .onSuccess(result -> ctx.json(envelope(result)))
        .onFailure(ctx::fail);
  }

  private static boolean dryRun(Object value) {
    if (value == null) {
      return false;
    }
    if (value instanceof Boolean b) {
      return b;
    }
    throw WorkerException.badInput("request.invalid_type", "dry_run", "must be a boolean");
  }

  static Map<String, Object> envelope(PhaseResult result) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("changed", result.changed());
    out.put("warnings", result.warnings());
    out.put("result", result.result());
    if (result.diff() != null) {
      out.put("diff", result.diff());
    }
    return out;
  }

  private static void logRequest(RoutingContext ctx) {
    long start = System.nanoTime();
    ctx.addBodyEndHandler(v -> LOG.info(() -> String.format("%s %s %d %d ms", ctx.request().method(),
        ctx.request().path(), ctx.response().getStatusCode(), (System.nanoTime() - start) / 1_000_000)));
    ctx.next();
  }

  private static String openapiDocument() {
    try (InputStream in = WorkerServer.class.getResourceAsStream("/openapi.yaml")) {
      if (in == null) {
        throw new IllegalStateException("openapi.yaml missing from the jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
