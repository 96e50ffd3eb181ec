package io.kubeforge.worker.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kubeforge.worker.pki.Pem;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.TrustOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.IOException;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * EtcdClient speaks to a stacked etcd cluster's membership API through etcd's v3 JSON gateway
 * ({@code POST /v3/cluster/member/*}) over mutual TLS, as kubeadm's {@code util/etcd} does through
 * clientv3 with the {@code etcd/healthcheck-client} certificate: list, add as learner, promote.
 * Server certificates are verified against the etcd CA with host name checks. Each endpoint is
 * tried in turn; failures (unreachable, etcd errors) are retried inside the operation's bound,
 * then reported as a {@link KubeException} with code {@code etcd.unavailable}. Calls block and are
 * refused on an event loop.
 */
public final class EtcdClient implements AutoCloseable {
  /** kubeadm's {@code etcdTimeout}: one request. */
  static final long REQUEST_MS = 2_000;
  /** kubeadm's {@code EtcdAPICallRetryInterval}. */
  static final long RETRY_MS = 500;
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One member as {@code MemberList} reports it.
   *
   * @param id the member id (uint64, decimal, as the gateway writes it)
   * @param name the member's name, empty while it has not started
   * @param peerUrls its peer URLs
   * @param clientUrls its client URLs, empty while it has not started
   * @param learner whether it is a non-voting learner
   */
  public record Member(String id, String name, List<String> peerUrls, List<String> clientUrls, boolean learner) {
    public Member {
      peerUrls = List.copyOf(peerUrls);
      clientUrls = List.copyOf(clientUrls);
    }

    /** The first peer URL (kubeadm identifies a member by it), or "". */
    public String peerUrl() {
      return peerUrls.isEmpty() ? "" : peerUrls.get(0);
    }

    /** Whether the member has started (etcd leaves the name and client URLs empty until then). */
    public boolean started() {
      return !name.isEmpty();
    }
  }

  private final List<URI> endpoints;
  private final WebClient web;

  private EtcdClient(List<URI> endpoints, WebClient web) {
    this.endpoints = List.copyOf(endpoints);
    this.web = web;
  }

  /**
   * Opens a client for {@code endpoints} ({@code https://host:port}) trusting only the CA in
   * {@code caPem} and presenting the client certificate and key (PEM bytes).
   */
  public static EtcdClient open(List<URI> endpoints, byte[] caPem, byte[] certPem, byte[] keyPem) {
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("no etcd endpoint");
    }
    WebClientOptions options = new WebClientOptions().setSsl(true).setVerifyHost(true)
        .setProtocolVersion(HttpVersion.HTTP_1_1).setUseAlpn(false).setKeepAlive(true)
        .setConnectTimeout((int) REQUEST_MS).setUserAgent("kubeforge").setFollowRedirects(false);
    try {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      int i = 0;
      for (X509Certificate ca : Pem.parseCertificates(caPem)) {
        trust.setCertificateEntry("ca-" + i++, ca);
      }
      javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
          javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      options.setTrustOptions(TrustOptions.wrap(tmf));
      PrivateKey key = Pem.parsePrivateKey(keyPem);
      List<X509Certificate> chain = Pem.parseCertificates(certPem);
      char[] pass = new char[0];
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("client", key, pass, chain.toArray(new Certificate[0]));
      javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(
          javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, pass);
      options.setKeyCertOptions(KeyCertOptions.wrap(kmf));
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot set up TLS for etcd: " + e.getMessage(), e);
    }
    return new EtcdClient(endpoints, WebClient.create(KubeClient.vertx(), options));
  }

  /** The endpoints this client tries, in order. */
  public List<URI> endpoints() {
    return endpoints;
  }

  /** Lists the members, retrying within {@code within}. */
  public List<Member> list(Duration within) {
    return members(call("/v3/cluster/member/list", JSON.createObjectNode(), within, "list the etcd members", e -> true));
  }

  /**
   * Adds {@code peerUrl} as a learner and returns the member list of the answer; retried within
   * {@code within} (etcd refuses a second learner while one is not promoted: that is retried too).
   */
  public List<Member> addLearner(String peerUrl, Duration within) {
    ObjectNode body = JSON.createObjectNode();
    body.putArray("peerURLs").add(peerUrl);
    body.put("isLearner", true);
    return members(call("/v3/cluster/member/add", body, within, "add " + peerUrl + " as an etcd learner",
        e -> !e.contains("Peer URLs already exists")));
  }

  /** Promotes the learner {@code id} to a voting member; retried within {@code within}. */
  public List<Member> promote(String id, Duration within) {
    ObjectNode body = JSON.createObjectNode();
    body.put("ID", id);
    return members(call("/v3/cluster/member/promote", body, within, "promote etcd learner " + hex(id),
        e -> !e.contains("can only promote a learner member") || e.contains("in sync")));
  }

  /**
   * A linearizable read (of a key nobody writes, {@code count_only}) through the endpoints, retried
   * within {@code within}: it succeeds only while a quorum of the voting members answers.
   */
  public void quorumRead(Duration within) {
    ObjectNode body = JSON.createObjectNode();
    body.put("key", java.util.Base64.getEncoder().encodeToString(
        "/kubeforge/availability-probe".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    body.put("count_only", true);
    call("/v3/kv/range", body, within, "read through a quorum of the etcd members", e -> true);
  }

  /** A member id as etcdctl and etcd's logs print it (hexadecimal). */
  public static String hex(String decimalId) {
    try {
      return Long.toUnsignedString(Long.parseUnsignedLong(decimalId), 16);
    } catch (NumberFormatException e) {
      return decimalId;
    }
  }

  @Override
  public void close() {
    web.close();
  }

  private static List<Member> members(JsonNode answer) {
    List<Member> out = new ArrayList<>();
    for (JsonNode m : answer.path("members")) {
      out.add(new Member(m.path("ID").asText(""), m.path("name").asText(""), strings(m.path("peerURLs")),
          strings(m.path("clientURLs")), m.path("isLearner").asBoolean(false)));
    }
    return out;
  }

  private static List<String> strings(JsonNode a) {
    List<String> out = new ArrayList<>();
    a.forEach(n -> out.add(n.asText()));
    return out;
  }

  /**
   * POSTs {@code body} to {@code path} on each endpoint in turn until one answers 200; an etcd
   * error answer for which {@code retryable} is false ends the attempts at once.
   */
  private JsonNode call(String path, ObjectNode body, Duration within, String what, Predicate<String> retryable) {
    if (Context.isOnEventLoopThread()) {
      throw new IllegalStateException("blocking etcd call on an event loop thread");
    }
    long deadline = System.nanoTime() + within.toNanos();
    String last = "no attempt";
    int attempts = 0;
    byte[] payload;
    try {
      payload = JSON.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    while (true) {
      for (URI ep : endpoints) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          break;
        }
        attempts++;
        // kubeadm gives one request 2 s; a first TLS handshake of a cold JVM on a loaded host can take
        // longer, so one endpoint gets at least that and at most its share of what is left
        long wait = Math.min(left, Math.max(REQUEST_MS, left / endpoints.size()));
        try {
          HttpResponse<Buffer> r = web.postAbs(ep.toString().replaceAll("/+$", "") + path)
              .putHeader("Content-Type", "application/json").timeout(wait)
              .sendBuffer(Buffer.buffer(payload)).toCompletionStage().toCompletableFuture()
              .get(wait + 500, TimeUnit.MILLISECONDS);
          JsonNode answer = r.body() == null ? null : JSON.readTree(r.body().getBytes());
          if (r.statusCode() == 200 && answer != null) {
            return answer;
          }
          String error = answer == null ? "HTTP " + r.statusCode()
              : answer.path("message").asText(answer.path("error").asText("HTTP " + r.statusCode()));
          last = ep + ": " + error;
          if (!retryable.test(error)) {
            throw KubeException.etcd("etcd.refused", "etcd refused to " + what + ": " + last, null);
          }
        } catch (ExecutionException e) {
          Throwable c = e.getCause() == null ? e : e.getCause();
          last = ep + ": " + describe(c);
          if (isTls(c)) {
            throw KubeException.etcd("etcd.tls", "TLS with etcd at " + ep + " failed (to " + what + "): " + describe(c)
                + "; the client uses etcd/healthcheck-client.crt and trusts only etcd/ca.crt", c);
          }
        } catch (TimeoutException e) {
          last = ep + ": no answer within " + wait + " ms";
        } catch (IOException e) {
          last = ep + ": the answer is not JSON";
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw KubeException.etcd("etcd.unavailable", "interrupted while trying to " + what, e);
        }
      }
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= RETRY_MS) {
        throw KubeException.etcd("etcd.unavailable", "could not " + what + " within " + within.toSeconds() + " s ("
            + attempts + (attempts == 1 ? " attempt" : " attempts") + " on " + endpoints + "); last: " + last, null);
      }
      try {
        Thread.sleep(RETRY_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw KubeException.etcd("etcd.unavailable", "interrupted while trying to " + what, e);
      }
    }
  }

  private static boolean isTls(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof javax.net.ssl.SSLException || c instanceof java.security.cert.CertificateException) {
        return true;
      }
    }
    return false;
  }

  private static String describe(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String m = root.getMessage();
    return m == null || m.isBlank() ? root.getClass().getSimpleName() : m;
  }
}
