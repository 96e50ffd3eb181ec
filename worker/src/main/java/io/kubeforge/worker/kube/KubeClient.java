package io.kubeforge.worker.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.TrustOptions;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * KubeClient is the worker's only way to an API server: a small client on the Vert.x WebClient,
 * opened from a kubeconfig. Its calls block (they are made from capabilities, which run off the
 * event loop; a call on an event loop is refused) and each is bounded by the client's timeout:
 * unreachable servers, timeouts, 429 (honouring {@code Retry-After}), 5xx and, on apply, 409 (but
 * not a field-manager conflict, which no retry changes) are retried with backoff inside it, then
 * reported as a {@link KubeException}.
 *
 * <p>Create-or-update is server-side apply only ({@code PATCH} with
 * {@code application/apply-patch+yaml}, field manager {@value #FIELD_MANAGER}); whether it changed
 * anything comes from the {@code resourceVersion} before and after (a no-op apply keeps it). The
 * one exception is a subresource written as a whole ({@link #updateSubresource}: a CSR's approval,
 * which, like {@code kubectl certificate approve}, is a {@code PUT} carrying the resourceVersion read).
 *
 * <p>TLS is always verified against the kubeconfig's CA (or the JDK's roots when it names none),
 * with host name checks (against the cluster's {@code tls-server-name} when it sets one, sent in SNI
 * too, as kubectl does); {@code HTTPS_PROXY}/{@code NO_PROXY} are honoured as kubectl does.
 * Nothing is created before the first cluster call: the Vert.x instance is the worker's own
 * (set once by {@link #useVertx}) and the HTTP client is made per kubeconfig.
 */
public final class KubeClient implements AutoCloseable {
  /** The field manager of every apply. */
  public static final String FIELD_MANAGER = "kubeforge";
  /** The default timeout of one API operation, retries included. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  private static final long FIRST_BACKOFF_MS = 200;
  private static final long MAX_BACKOFF_MS = 2000;
  private static final long MAX_CONNECT_MS = 10_000;
  private static volatile Vertx sharedVertx;
  private static Vertx ownVertx;

  private final Kubeconfig config;
  private final Duration timeout;
  private final String trustName;
  private final WebClient web;
  private final String base;
  /** With tls-server-name: the address connected to, and the URL base naming that server name. */
  private final SocketAddress serverAddress;
  private final String sniBase;
  private final String hostHeader;
  /** The cache entry this client leases its WebClient from, or null when it owns it. */
  private final ClientCache.Entry cached;
  /** The server's {@code Date} header minus this host's clock when that answer arrived (last answer with one). */
  private volatile Duration serverClockOffset;

  private KubeClient(Kubeconfig config, Duration timeout, WebClient web, String trustName, ClientCache.Entry cached) {
    this.cached = cached;
    this.config = config;
    this.timeout = timeout;
    this.trustName = trustName;
    this.web = web;
    String s = config.server().toString();
    this.base = s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    URI server = config.server();
    String name = config.tlsServerName();
    if (name == null) {
      serverAddress = null;
      sniBase = null;
      hostHeader = null;
    } else {
      // Vert.x takes SNI, host name verification and the Host header from the request's host and
      // connects to the given address; the Host header is then set back to the URL's, as Go does
      int port = server.getPort() < 0 ? 443 : server.getPort();
      String host = server.getHost().startsWith("[") ? server.getHost().substring(1, server.getHost().length() - 1)
          : server.getHost();
      serverAddress = SocketAddress.inetSocketAddress(port, host);
      String path = server.getRawPath() == null ? "" : server.getRawPath();
      sniBase = "https://" + name + ":" + port + (path.endsWith("/") ? path.substring(0, path.length() - 1) : path);
      hostHeader = server.getRawAuthority();
    }
  }

  /** Makes clients use the worker's Vert.x instead of one of their own (called once at start). */
  public static void useVertx(Vertx vertx) {
    sharedVertx = vertx;
  }

  static synchronized Vertx vertx() {
    Vertx v = sharedVertx;
    if (v != null) {
      return v;
    }
    if (ownVertx == null) {
      ownVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1));
    }
    return ownVertx;
  }

  /**
   * Opens a client from a kubeconfig file; each operation is bounded by {@code timeout}.
   * A kubeconfig that cannot be used is a 400 naming {@code kubeconfig}. The HTTP client (TLS
   * set-up, kept-alive connection) is shared with the other calls that use the same file while its
   * content is unchanged ({@link ClientCache}); closing this client ends its lease.
   */
  public static KubeClient fromKubeconfig(Path kubeconfig, Duration timeout) {
    Map<String, String> env = System.getenv();
    ClientCache.Entry e = ClientCache.lease(kubeconfig,
        config -> webClient(config, Duration.ofMillis(MAX_CONNECT_MS), env, false));
    return new KubeClient(e.config, timeout, e.web, "the CA in " + e.config.path(), e);
  }

  /**
   * Opens a client from a kubeconfig held in memory ({@code content}; {@code name} stands for its
   * path in messages), not shared with other calls; each operation is bounded by {@code timeout}.
   */
  public static KubeClient fromKubeconfigContent(Path name, byte[] content, Duration timeout) {
    return open(Kubeconfig.parse(name, content), timeout, System.getenv());
  }

  /**
   * Opens a client without credentials, as kubeadm's token discovery does: no token and no client
   * certificate is ever sent. With {@code trust} null the server's certificate is not checked at
   * all (the first, unverified fetch of {@code cluster-info}, whose content is then verified by its
   * signature); otherwise it must chain to one of {@code trust} (and nothing else: not the JDK's
   * roots) and name the server's host. {@code trustName} describes {@code trust} in TLS errors.
   */
  public static KubeClient anonymous(URI server, List<X509Certificate> trust, String trustName, Duration timeout) {
    if (trust != null && trust.isEmpty()) {
      throw new IllegalArgumentException("an anonymous client needs at least one trusted certificate, or null");
    }
    Kubeconfig config = Kubeconfig.anonymous(server, trust == null ? List.of() : trust, "anonymous");
    return open(config, timeout, System.getenv(), trust == null, trustName);
  }

  /**
   * Downloads an {@code https://} URL (kubeadm's {@code --discovery-file https://...}) without
   * credentials, verified against the JDK's roots with host name checks, never following a
   * redirect, at most {@code maxBytes}; transport failures are retried within {@code timeout}.
   */
  public static byte[] download(URI url, Duration timeout, int maxBytes) {
    if (!"https".equals(url.getScheme()) || url.getHost() == null) {
      throw new IllegalArgumentException("not an https:// URL: " + url);
    }
    URI root = URI.create("https://" + url.getRawAuthority());
    try (KubeClient c = open(Kubeconfig.anonymous(root, List.of(), "anonymous"), timeout, System.getenv(), false,
        "the system's trusted roots")) {
      String path = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
          + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
      Response r = c.call(timeout, HttpMethod.GET, path, Map.of(), null, null, false, RAW);
      if (r.raw.length > maxBytes) {
        throw KubeException.fromStatus(502, null, "get (GET) " + url + " (larger than " + maxBytes + " bytes)", "");
      }
      return r.raw;
    }
  }

  static KubeClient open(Kubeconfig config, Duration timeout, Map<String, String> env) {
    return open(config, timeout, env, false, null);
  }

  private static KubeClient open(Kubeconfig config, Duration timeout, Map<String, String> env, boolean insecure,
                                 String trustName) {
    return new KubeClient(config, timeout, webClient(config, timeout, env, insecure),
        trustName != null ? trustName : "the CA in " + config.path(), null);
  }

  private static WebClient webClient(Kubeconfig config, Duration timeout, Map<String, String> env, boolean insecure) {
    WebClientOptions options = new WebClientOptions()
        .setSsl(true)
        .setVerifyHost(!insecure)
        .setTrustAll(insecure)
        .setProtocolVersion(HttpVersion.HTTP_1_1)
        .setUseAlpn(false)
        .setKeepAlive(true)
        .setKeepAliveTimeout(30)
        .setConnectTimeout((int) Math.min(MAX_CONNECT_MS, timeout.toMillis()))
        .setUserAgent("kubeforge")
        .setFollowRedirects(false);
    try {
      if (!insecure && !config.ca().isEmpty()) {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        int i = 0;
        for (X509Certificate ca : config.ca()) {
          trust.setCertificateEntry("ca-" + i++, ca);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        options.setTrustOptions(TrustOptions.wrap(tmf));
      }
      if (config.clientKey() != null) {
        // an in-memory JKS store, not PKCS12: PKCS12 encrypts the key on setKeyEntry and decrypts it
        // again in kmf.init (PBKDF2, 10000 iterations each way), which cost 1.3-2.5 s per client on a
        // loaded 2-core host against 15-170 ms for JKS; the store never leaves memory
        char[] pass = new char[0];
        KeyStore keys = KeyStore.getInstance("JKS");
        keys.load(null, null);
        keys.setKeyEntry("client", config.clientKey(), pass, config.clientChain().toArray(new Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, pass);
        options.setKeyCertOptions(KeyCertOptions.wrap(kmf));
      }
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot set up TLS for " + config.server() + ": " + e.getMessage(), e);
    }
    ProxyFromEnv.forServer(config.server(), env).ifPresent(options::setProxyOptions);
    return WebClient.create(vertx(), options);
  }

  /** The kubeconfig this client uses (server, CA, who the user is). */
  public Kubeconfig kubeconfig() {
    return config;
  }

  /**
   * Server-side applies one object ({@code apiVersion}, {@code kind}, {@code metadata.name} and,
   * for namespaced kinds, {@code metadata.namespace}). {@code force} takes over fields another
   * manager owns (only where kubeadm overwrites); {@code dryRun} sends {@code dryRun=All}.
   */
  public Applied apply(ObjectNode object, boolean force, boolean dryRun) {
    return apply(object, force, dryRun, FIELD_MANAGER);
  }

  /** {@link #apply(ObjectNode, boolean, boolean)} under another field manager. */
  public Applied apply(ObjectNode object, boolean force, boolean dryRun, String fieldManager) {
    Ref ref = Ref.of(object);
    Optional<ObjectNode> before = get(ref.apiVersion, ref.kind.kind(), ref.namespace, ref.name);
    Map<String, String> query = new LinkedHashMap<>();
    query.put("fieldManager", fieldManager);
    if (force) {
      query.put("force", "true");
    }
    if (dryRun) {
      query.put("dryRun", "All");
    }
    Response r = call(HttpMethod.PATCH, ref.kind.object(ref.namespace, ref.name), query,
        "application/apply-patch+yaml", object, true);
    ObjectNode after = r.object();
    Action action;
    if (before.isEmpty()) {
      action = Action.CREATED;
    } else if (dryRun) {
      action = comparable(before.get()).equals(comparable(after)) ? Action.UNCHANGED : Action.UPDATED;
    } else {
      action = resourceVersion(before.get()).equals(resourceVersion(after)) ? Action.UNCHANGED : Action.UPDATED;
    }
    return new Applied(ref.kind.kind(), ref.namespace, ref.name, action, after, before.orElse(null));
  }

  /**
   * Applies several objects in order. When one fails, the {@link KubeException} names it and
   * lists those applied before it ({@link KubeException#applied()}).
   */
  public List<Applied> applyAll(List<ObjectNode> objects, boolean force, boolean dryRun) {
    List<Applied> done = new ArrayList<>();
    for (ObjectNode o : objects) {
      try {
        done.add(apply(o, force, dryRun));
      } catch (KubeException e) {
        throw e.afterApplying(done, Ref.of(o).describe());
      }
    }
    return done;
  }

  /** Creates an object with {@code POST} (for kinds that are only created: reviews, CSRs). */
  public ObjectNode create(ObjectNode object, boolean dryRun) {
    String apiVersion = text(object, "apiVersion");
    Kinds.Kind kind = Kinds.of(apiVersion, text(object, "kind"));
    String namespace = object.path("metadata").path("namespace").asText(null);
    Map<String, String> query = new LinkedHashMap<>();
    query.put("fieldManager", FIELD_MANAGER);
    if (dryRun) {
      query.put("dryRun", "All");
    }
    return call(HttpMethod.POST, kind.collection(namespace), query, "application/json", object, false).object();
  }

  /**
   * Replaces one subresource with {@code PUT} (a CSR's {@code approval}, as {@code kubectl
   * certificate approve} does): {@code object} carries the {@code resourceVersion} it was read at,
   * so a concurrent change is a 409, never overwritten. The subresource must be in {@link Kinds}.
   */
  public ObjectNode updateSubresource(ObjectNode object, String subresource, boolean dryRun) {
    Ref ref = Ref.of(object);
    Map<String, String> query = new LinkedHashMap<>();
    query.put("fieldManager", FIELD_MANAGER);
    if (dryRun) {
      query.put("dryRun", "All");
    }
    return call(HttpMethod.PUT, ref.kind.subresource(ref.namespace, ref.name, subresource), query, "application/json",
        object, false).object();
  }

  /**
   * How far the server's clock was ahead of this host's (negative: behind) at the last answer that
   * carried an HTTP {@code Date} header (RFC 9110: one-second resolution, so the offset is exact to
   * about a second plus the answer's transit time); empty before any such answer.
   */
  public Optional<Duration> serverClockOffset() {
    return Optional.ofNullable(serverClockOffset);
  }

  private void noteDate(String date) {
    if (date == null) {
      return;
    }
    Instant received = Instant.now();
    try {
      Instant server = ZonedDateTime.parse(date.strip(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      serverClockOffset = Duration.between(received.truncatedTo(ChronoUnit.SECONDS), server);
    } catch (DateTimeParseException e) {
      // an unreadable Date header says nothing about the server's clock
    }
  }

  /** Reads one object; empty when it does not exist. */
  public Optional<ObjectNode> get(String apiVersion, String kind, String namespace, String name) {
    return get(apiVersion, kind, namespace, name, timeout);
  }

  /** {@link #get(String, String, String, String)} bounded by {@code within} instead of the client's timeout. */
  public Optional<ObjectNode> get(String apiVersion, String kind, String namespace, String name, Duration within) {
    Kinds.Kind k = Kinds.of(apiVersion, kind);
    Response r = call(within, HttpMethod.GET, k.object(namespace, name), Map.of(), null, null, false, 404);
    return r.status == 404 ? Optional.empty() : Optional.of(withType(r.object(), k));
  }

  /** Lists objects (in one namespace, or all when {@code namespace} is null), optionally by label. */
  public List<ObjectNode> list(String apiVersion, String kind, String namespace, String labelSelector) {
    Kinds.Kind k = Kinds.of(apiVersion, kind);
    Map<String, String> query = labelSelector == null || labelSelector.isEmpty() ? Map.of()
        : Map.of("labelSelector", labelSelector);
    Response r = call(HttpMethod.GET, k.collection(namespace), query, null, null, false);
    List<ObjectNode> out = new ArrayList<>();
    for (JsonNode item : r.object().path("items")) {
      out.add(withType((ObjectNode) item, k));
    }
    return out;
  }

  /** Deletes one object; false when it did not exist. */
  public boolean delete(String apiVersion, String kind, String namespace, String name, boolean dryRun) {
    Kinds.Kind k = Kinds.of(apiVersion, kind);
    Response r = call(HttpMethod.DELETE, k.object(namespace, name), dryRun ? Map.of("dryRun", "All") : Map.of(),
        null, null, false, 404);
    return r.status != 404;
  }

  /** Asks the server who the credentials are (a SelfSubjectReview): {@code {username, groups}}. */
  public ObjectNode whoAmI() {
    ObjectNode review = Mapper.JSON.createObjectNode().put("apiVersion", "authentication.k8s.io/v1")
        .put("kind", "SelfSubjectReview");
    return (ObjectNode) create(review, false).path("status").path("userInfo");
  }

  /** Whether this client and {@code other} send over the same HTTP client (tests). */
  boolean sharesHttpClientWith(KubeClient other) {
    return web == other.web;
  }

  @Override
  public void close() {
    if (cached == null) {
      web.close();
    } else {
      cached.release();
    }
  }

  // ---- transport ------------------------------------------------------------------------------

  /** Pass-through marker: keep the raw body (a download, not an API object). */
  private static final int RAW = -1;

  /**
   * Whether a 409 is server-side apply's field-manager conflict (another manager owns a field
   * with another value): that answer stays the same however often it is retried, unlike a
   * concurrent write's conflict.
   */
  static boolean fieldManagerConflict(JsonNode status) {
    if (status == null) {
      return false;
    }
    for (JsonNode cause : status.path("details").path("causes")) {
      if (cause.path("reason").asText().equals("FieldManagerConflict")) {  // StatusCause.Type is "reason" in JSON
        return true;
      }
    }
    return false;
  }

  private record Response(int status, JsonNode body, byte[] raw) {
    Response(int status, JsonNode body) {
      this(status, body, null);
    }

    ObjectNode object() {
      if (!(body instanceof ObjectNode o)) {
        throw KubeException.fromStatus(502, null, "the answer", "");
      }
      return o;
    }
  }

  /**
   * Sends one request, retrying transport failures, 429, 5xx and (when {@code retryConflict}) 409
   * within the timeout. 2xx and the {@code passThrough} statuses are returned; anything else
   * becomes a KubeException.
   */
  private Response call(HttpMethod method, String path, Map<String, String> query, String contentType,
                        JsonNode body, boolean retryConflict, int... passThrough) {
    return call(timeout, method, path, query, contentType, body, retryConflict, passThrough);
  }

  private Response call(Duration timeout, HttpMethod method, String path, Map<String, String> query,
                        String contentType, JsonNode body, boolean retryConflict, int... passThrough) {
    if (Context.isOnEventLoopThread()) {
      throw new IllegalStateException("blocking Kubernetes call on an event loop thread");
    }
    String request = verb(method, query) + " " + path;
    byte[] payload = null;
    if (body != null) {
      try {
        payload = Mapper.JSON.writeValueAsBytes(body);
      } catch (IOException e) {
        throw new IllegalStateException("object is not serialisable", e);
      }
    }
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    int attempt = 0;
    Throwable lastFailure = null;
    Response lastAnswer = null;
    while (true) {
      attempt++;
      long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      long retryAfterMs = 0;
      if (remainingMs > 0) {
        try {
          HttpResponse<Buffer> r = once(method, path, query, contentType, payload, remainingMs);
          noteDate(r.getHeader("Date"));
          Response answer = contains(passThrough, RAW)
              ? new Response(r.statusCode(), null, r.body() == null ? new byte[0] : r.body().getBytes())
              : new Response(r.statusCode(), parse(r.body()));
          if (answer.status / 100 == 2 || contains(passThrough, answer.status)) {
            return answer;
          }
          if (answer.status / 100 == 3) {
            String to = r.getHeader("Location");
            throw KubeException.redirect("the API server at " + base + " answered " + request + " with a redirect (HTTP "
                + answer.status + (to == null ? "" : " to " + to) + "); redirects are never followed: check the address"
                + " (a load balancer or proxy in front of the API server must pass requests through)");
          }
          boolean retry = answer.status == 429 || answer.status >= 500
              || (retryConflict && answer.status == 409 && !fieldManagerConflict(answer.body));
          if (!retry) {
            throw KubeException.fromStatus(answer.status, answer.body, request, config.user());
          }
          lastAnswer = answer;
          lastFailure = null;
          retryAfterMs = retryAfter(r.getHeader("Retry-After"));
        } catch (KubeException e) {
          throw e;
        } catch (Throwable t) {
          if (isTls(t)) {
            throw KubeException.tls(tlsMessage(t), t);
          }
          lastFailure = t;
        }
      }
      long backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS << Math.min(attempt - 1, 10));
      long sleep = Math.max(retryAfterMs, backoff + ThreadLocalRandom.current().nextLong(backoff / 4 + 1));
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (sleep >= left) {
        String tried = attempt + (attempt == 1 ? " attempt" : " attempts") + " in "
            + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms";
        if (lastAnswer != null) {
          KubeException e = KubeException.fromStatus(lastAnswer.status, lastAnswer.body, request + " (" + tried + ")",
              config.user());
          throw e;
        }
        throw KubeException.unreachable("the API server at " + base + " did not answer " + request + " within "
            + timeout.toMillis() + " ms (" + tried + "): " + describe(lastFailure), lastFailure);
      }
      try {
        Thread.sleep(sleep);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw KubeException.unreachable("interrupted while waiting to retry " + request, e);
      }
    }
  }

  private HttpResponse<Buffer> once(HttpMethod method, String path, Map<String, String> query, String contentType,
                                    byte[] payload, long remainingMs) throws Throwable {
    HttpRequest<Buffer> req = (serverAddress == null ? web.requestAbs(method, base + path)
        : web.requestAbs(method, serverAddress, sniBase + path).putHeader("Host", hostHeader))
        .putHeader("Accept", "application/json")
        .timeout(remainingMs)
        .connectTimeout(Math.min(remainingMs, MAX_CONNECT_MS));
    query.forEach(req::addQueryParam);
    String token = config.token();
    if (token != null) {
      req.putHeader("Authorization", "Bearer " + token);
    }
    Future<HttpResponse<Buffer>> f;
    if (payload != null) {
      req.putHeader("Content-Type", contentType);
      f = req.sendBuffer(Buffer.buffer(payload));
    } else {
      f = req.send();
    }
    try {
      return f.toCompletionStage().toCompletableFuture().get(remainingMs + 500, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() == null ? e : e.getCause();
    } catch (TimeoutException e) {
      throw new TimeoutException("no answer within " + remainingMs + " ms");
    }
  }

  private static JsonNode parse(Buffer body) {
    if (body == null || body.length() == 0) {
      return null;
    }
    try {
      return Mapper.JSON.readTree(body.getBytes());
    } catch (IOException e) {
      return null;
    }
  }

  private static long retryAfter(String header) {
    if (header == null) {
      return 0;
    }
    try {
      return Math.max(0, Long.parseLong(header.strip())) * 1000;
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static boolean contains(int[] values, int v) {
    for (int x : values) {
      if (x == v) {
        return true;
      }
    }
    return false;
  }

  private static String verb(HttpMethod method, Map<String, String> query) {
    return switch (method.name()) {
      case "PATCH" -> "apply (PATCH)";
      case "POST" -> "create (POST)";
      case "PUT" -> "update (PUT)";
      case "DELETE" -> "delete (DELETE)";
      default -> "get (GET)";
    } + (query.containsKey("dryRun") ? " dry-run" : "");
  }

  private static boolean isTls(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SSLException || c instanceof java.security.cert.CertificateException) {
        return true;
      }
    }
    return false;
  }

  private String tlsMessage(Throwable t) {
    StringBuilder all = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      all.append(' ').append(c.getMessage());
    }
    String s = all.toString();
    String what;
    if (s.contains("PKIX") || s.contains("unable to find valid certification path")) {
      what = "the server's certificate is not signed by " + trustName;
    } else if (s.contains("No subject alternative") || s.contains("No name matching")) {
      what = "the server's certificate does not name " + config.verifiedName()
          + (config.tlsServerName() == null ? "" : " (tls-server-name in " + config.path() + ")");
    } else if (s.contains("bad_certificate") || s.contains("certificate_required") || s.contains("unknown_ca")) {
      what = "the server refused the client certificate of " + config.user();
    } else {
      what = describe(t);
    }
    return "TLS handshake with the API server at " + base + " failed: " + what;
  }

  private static String describe(Throwable t) {
    if (t == null) {
      return "no answer";
    }
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String m = root.getMessage();
    return m == null || m.isBlank() ? root.getClass().getSimpleName() : m;
  }

  // ---- objects --------------------------------------------------------------------------------

  private static String resourceVersion(ObjectNode o) {
    return o.path("metadata").path("resourceVersion").asText("");
  }

  /** The object without what changes on every write (for the dry-run comparison). */
  private static JsonNode comparable(ObjectNode o) {
    ObjectNode copy = o.deepCopy();
    // an apply never writes status (a subresource); a controller updating it between the read and the
    // dry run (a new Deployment's) is not a change this apply would make
    copy.remove("status");
    if (copy.get("metadata") instanceof ObjectNode m) {
      m.remove("managedFields");
      m.remove("resourceVersion");
    }
    return copy;
  }

  private static ObjectNode withType(ObjectNode o, Kinds.Kind k) {
    if (!o.has("kind")) {
      ObjectNode typed = Mapper.JSON.createObjectNode().put("apiVersion", k.apiVersion()).put("kind", k.kind());
      for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext();) {
        Map.Entry<String, JsonNode> e = it.next();
        typed.set(e.getKey(), e.getValue());
      }
      return typed;
    }
    return o;
  }

  private static String text(JsonNode o, String field) {
    String s = o.path(field).asText("");
    if (s.isEmpty()) {
      throw new IllegalArgumentException("object has no " + field);
    }
    return s;
  }

  /** Where an object lives. */
  private record Ref(String apiVersion, Kinds.Kind kind, String namespace, String name) {
    static Ref of(ObjectNode o) {
      String apiVersion = text(o, "apiVersion");
      Kinds.Kind kind = Kinds.of(apiVersion, text(o, "kind"));
      String name = text(o.path("metadata"), "name");
      String ns = o.path("metadata").path("namespace").asText(null);
      if (kind.namespaced() && (ns == null || ns.isEmpty())) {
        throw new IllegalArgumentException(kind.kind() + " " + name + " has no metadata.namespace");
      }
      return new Ref(apiVersion, kind, kind.namespaced() ? ns : null, name);
    }

    String describe() {
      return kind.kind() + " " + (namespace == null ? "" : namespace + "/") + name;
    }
  }

  /** Writes and reads {@code object} as a call does (the warm-up's JSON step). */
  static void warmUpJson(ObjectNode object) {
    try {
      Mapper.JSON.readTree(Mapper.JSON.writeValueAsBytes(object)).path("metadata").path("resourceVersion").asText("");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Jackson's mapper, made on the first cluster call and not at start (it loads the JDK's locale data). */
  private static final class Mapper {
    static final ObjectMapper JSON = new ObjectMapper();
  }
}
