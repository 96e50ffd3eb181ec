package io.kubeforge.worker.preflight;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubeforge.worker.config.ExternalEtcd;
import io.kubeforge.worker.pki.Pem;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * ExternalEtcdVersion is kubeadm's {@code ExternalEtcdVersionCheck}: {@code GET <endpoint>/version}
 * on every external etcd endpoint (with the configured CA and client certificate), each request
 * bounded by the host's timeout (kubeadm: 10 s), retried after a pause (kubeadm: 5 s) up to three
 * times on a connection failure or a 5xx, and the reported {@code etcdserver} version compared with
 * kubeadm's minimum.
 */
final class ExternalEtcdVersion {
  /** kubeadm v1.34's {@code MinExternalEtcdVersion}. */
  static final String MIN_VERSION = "3.5.24-0";
  static final int RETRIES = 3;
  private static final ObjectMapper JSON = new ObjectMapper();

  private ExternalEtcdVersion() {}

  static Optional<String> check(ExternalEtcd etcd, Host host) {
    SSLContext tls;
    try {
      tls = tls(etcd);
    } catch (IllegalStateException e) {
      return Optional.of(e.getMessage());
    }
    HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(host.timeout());
    if (tls != null) {
      b.sslContext(tls);
    }
    List<String> errors = new ArrayList<>();
    HttpClient client = b.build();
    for (String endpoint : etcd.endpoints()) {
      String url = (endpoint + "/version").replaceAll("(?<!:)//+", "/");
      String failure = version(client, url, host);
      if (failure != null) {
        errors.add(failure);
      }
    }
    return errors.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", errors));
  }

  private static String version(HttpClient client, String url, Host host) {
    String body = null;
    String err = null;
    for (int attempt = 0; attempt <= RETRIES; attempt++) {
      if (attempt > 0 && !pause(host)) {
        break;
      }
      try {
        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(host.timeout()).GET().build();
        HttpResponse<byte[]> r = client.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray())
            .get(host.timeout().toMillis(), TimeUnit.MILLISECONDS);
        if (r.statusCode() >= 500 && r.statusCode() <= 599) {
          err = "server responded with non-successful status: " + r.statusCode();
          continue;
        }
        body = new String(r.body(), java.nio.charset.StandardCharsets.UTF_8);
        err = null;
        break;
      } catch (ExecutionException e) {
        Throwable c = e.getCause() == null ? e : e.getCause();
        err = "Get \"" + url + "\": " + (c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage());
      } catch (TimeoutException e) {
        err = "Get \"" + url + "\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)";
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "Get \"" + url + "\": interrupted";
      } catch (IllegalArgumentException e) {
        return "failed to parse external etcd endpoint " + url;
      }
    }
    if (err != null) {
      return err;
    }
    String server;
    try {
      JsonNode n = JSON.readTree(body.length() > Host.MAX_READ ? body.substring(0, Host.MAX_READ) : body);
      server = n == null || n.get("etcdserver") == null ? "" : n.get("etcdserver").asText("");
    } catch (IOException e) {
      return "invalid character in the response of " + url;
    }
    Optional<Semver> v = Semver.parse(server);
    if (v.isEmpty()) {
      return "couldn't parse external etcd version \"" + server + "\"";
    }
    if (v.get().lessThan(Semver.parse(MIN_VERSION).orElseThrow())) {
      return "this version of kubeadm only supports external etcd version >= " + MIN_VERSION
          + ". Current version: " + server;
    }
    return null;
  }

  private static boolean pause(Host host) {
    try {
      Thread.sleep(host.etcdRetryInterval().toMillis());
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The TLS context of the configured CA and client pair, or null when neither is set (system trust). */
  private static SSLContext tls(ExternalEtcd etcd) {
    if (etcd.caFile().isEmpty() && (etcd.certFile().isEmpty() || etcd.keyFile().isEmpty())) {
      return null;
    }
    try {
      TrustManagerFactory tmf = null;
      if (!etcd.caFile().isEmpty()) {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        List<X509Certificate> cas;
        try {
          cas = Pem.parseCertificates(read(etcd.caFile()));
        } catch (IOException | IllegalArgumentException e) {
          throw new IllegalStateException("couldn't load external etcd's server certificate " + etcd.caFile()
              + ": " + e.getMessage());
        }
        for (int i = 0; i < cas.size(); i++) {
          trust.setCertificateEntry("ca" + i, cas.get(i));
        }
        tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
      }
      KeyManagerFactory kmf = null;
      if (!etcd.certFile().isEmpty() && !etcd.keyFile().isEmpty()) {
        List<X509Certificate> chain;
        PrivateKey key;
        try {
          chain = Pem.parseCertificates(read(etcd.certFile()));
          key = Pem.parsePrivateKey(read(etcd.keyFile()));
        } catch (IOException | IllegalArgumentException e) {
          throw new IllegalStateException("couldn't load external etcd's certificate and key pair "
              + etcd.certFile() + ", " + etcd.keyFile() + ": " + e.getMessage());
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        char[] none = new char[0];
        ks.setKeyEntry("client", key, none, chain.toArray(new X509Certificate[0]));
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, none);
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("couldn't set up TLS for external etcd: " + e.getClass().getSimpleName());
    }
  }

  private static byte[] read(String file) throws IOException {
    Path p = Path.of(file);
    if (!Files.isRegularFile(p)) {
      throw new IOException("open " + file + ": no such file or directory");
    }
    return Host.readBounded(p, Host.MAX_READ).orElseThrow(() -> new IOException("open " + file + ": permission denied"));
  }
}
