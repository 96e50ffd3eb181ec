package io.kubeforge.worker.kube;

import io.kubeforge.worker.pki.AltNames;
import io.kubeforge.worker.pki.CertSpec;
import io.kubeforge.worker.pki.CertificateFactory;
import io.kubeforge.worker.pki.KeyAlgorithm;
import io.kubeforge.worker.pki.KeyPairs;
import io.kubeforge.worker.pki.KeyPool;
import io.kubeforge.worker.pki.Pem;
import io.kubeforge.worker.pki.Validity;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * WarmUp makes the first cluster call after start as fast as the ones after it: once, in idle
 * time, it goes through the client's set-up with throw-away keys (a kubeconfig in kubeadm's form
 * read from memory, its key stores and managers, a WebClient that never connects) and makes a TLS
 * handshake with a client certificate between two engines in memory, then writes and reads a
 * JSON object, so that those classes are initialised and the handshake's crypto is compiled
 * before a real call needs them. Nothing is kept, nothing listens, nothing is written and no API
 * server is contacted. (A loopback HTTPS server warmed Netty's TLS path too, but its buffer pools
 * and compiled code added about 30 MB to the idle worker's RSS.)
 *
 * <p>It runs on one daemon thread that waits until no call has run for the key pool's quiet time
 * ({@link KeyPool#awaitIdle}) and marks the worker busy meanwhile, so the key pool's filler does
 * not compete with it; a call that arrives meanwhile runs beside it. A failure is logged (without
 * detail from the keys) and changes nothing: the first call then simply pays the set-up.
 */
public final class WarmUp {
  private static final Logger LOG = Logger.getLogger(WarmUp.class.getName());
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  private WarmUp() {}

  /** Starts the warm-up thread (once, after the worker listens). */
  public static Thread startWhenIdle(Duration quiet) {
    Thread t = new Thread(() -> {
      try {
        KeyPool.shared().awaitIdle(quiet);
        try (KeyPool.Busy busy = KeyPool.shared().busy()) {
          run();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException | Error e) {
        LOG.log(Level.INFO, "client warm-up skipped: " + e.getClass().getSimpleName());
      }
    }, "client-warm-up");
    t.setDaemon(true);
    t.setPriority(Thread.MIN_PRIORITY);
    t.start();
    return t;
  }

  /** The client's set-up and a handshake, as a cluster call makes them, with throw-away keys. */
  static void run() {
    Validity validity = Validity.startingAt(Instant.now(), Duration.ofHours(1));
    KeyPair caKey = KeyPairs.generate(KeyAlgorithm.ECDSA_P256);
    X509Certificate ca = CertificateFactory.selfSignedCa(CertSpec.ca("warm-up-ca", "warm-up-ca", "warm-up-ca"),
        caKey, validity);
    KeyPair serverKey = KeyPairs.generate(KeyAlgorithm.ECDSA_P256);
    X509Certificate serverCert = CertificateFactory.issue(
        CertSpec.leaf("warm-up", "warm-up", "warm-up-ca", "warm-up", List.of(), List.of(CertSpec.Usage.SERVER_AUTH))
            .withAltNames(new AltNames(List.of(), List.of(InetAddress.getLoopbackAddress()))),
        serverKey.getPublic(), ca, caKey.getPrivate(), validity);
    // the client key as admin.conf's: kubeadm's default algorithm, in the PEM form kubeadm writes
    KeyPair clientKey = KeyPairs.generate(KeyAlgorithm.DEFAULT);
    X509Certificate clientCert = CertificateFactory.issue(
        CertSpec.client("warm-up-client", "warm-up-ca", "kubernetes-admin", List.of("kubeadm:cluster-admins")),
        clientKey.getPublic(), ca, caKey.getPrivate(), validity);

    KeyManagerFactory serverKeys = keyManagers(serverKey.getPrivate(), serverCert);
    TrustManagerFactory trust = trustManagers(ca);
    String yaml = "apiVersion: v1\nkind: Config\ncurrent-context: warm-up\n"
        + "clusters:\n- name: warm-up\n  cluster:\n    server: https://127.0.0.1:6443\n"
        + "    certificate-authority-data: " + b64(Pem.encodeCertificate(ca)) + "\n"
        + "contexts:\n- name: warm-up\n  context:\n    cluster: warm-up\n    user: warm-up\n"
        + "users:\n- name: warm-up\n  user:\n"
        + "    client-certificate-data: " + b64(Pem.encodeCertificate(clientCert)) + "\n"
        + "    client-key-data: " + b64(Pem.encodePrivateKey(clientKey.getPrivate())) + "\n";
    Kubeconfig config = Kubeconfig.parse(Path.of("warm-up.conf"), yaml.getBytes(StandardCharsets.UTF_8));
    // the client as a call makes it (its key store, key and trust managers, WebClient), never connected
    KubeClient.open(config, TIMEOUT, Map.of()).close();
    handshake(keyManagers(config.clientKey(), config.clientChain().get(0)), serverKeys, trust);
    KubeClient.warmUpJson(ClusterAdmins.binding());
  }

  /**
   * A TLS handshake between two engines in memory (no socket), the client presenting its
   * certificate and checking the server's name, then one record each way.
   */
  private static void handshake(KeyManagerFactory clientKeys, KeyManagerFactory serverKeys, TrustManagerFactory trust) {
    try {
      SSLContext clientContext = SSLContext.getInstance("TLS");
      clientContext.init(clientKeys.getKeyManagers(), trust.getTrustManagers(), null);
      SSLContext serverContext = SSLContext.getInstance("TLS");
      serverContext.init(serverKeys.getKeyManagers(), trust.getTrustManagers(), null);
      SSLEngine client = clientContext.createSSLEngine("127.0.0.1", 6443);
      client.setUseClientMode(true);
      SSLParameters params = client.getSSLParameters();
      params.setEndpointIdentificationAlgorithm("HTTPS");
      client.setSSLParameters(params);
      SSLEngine server = serverContext.createSSLEngine();
      server.setUseClientMode(false);
      server.setNeedClientAuth(true);
      int packet = Math.max(client.getSession().getPacketBufferSize(), server.getSession().getPacketBufferSize());
      int app = Math.max(client.getSession().getApplicationBufferSize(), server.getSession().getApplicationBufferSize());
      ByteBuffer toServer = ByteBuffer.allocate(packet);
      ByteBuffer toClient = ByteBuffer.allocate(packet);
      ByteBuffer clientIn = ByteBuffer.allocate(app);
      ByteBuffer serverIn = ByteBuffer.allocate(app);
      ByteBuffer clientOut = ByteBuffer.wrap("GET /api HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      ByteBuffer serverOut = ByteBuffer.wrap("HTTP/1.1 200 OK\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      client.beginHandshake();
      server.beginHandshake();
      for (int i = 0; i < 64 && (clientOut.hasRemaining() || serverOut.hasRemaining() || serverIn.position() == 0
          || clientIn.position() == 0); i++) {
        client.wrap(clientOut, toServer);
        server.wrap(serverOut, toClient);
        runTasks(client);
        runTasks(server);
        toServer.flip();
        toClient.flip();
        server.unwrap(toServer, serverIn);
        client.unwrap(toClient, clientIn);
        runTasks(client);
        runTasks(server);
        toServer.compact();
        toClient.compact();
      }
      if (clientOut.hasRemaining() || serverOut.hasRemaining()) {
        throw new IllegalStateException("the in-memory handshake did not finish");
      }
    } catch (java.security.GeneralSecurityException | javax.net.ssl.SSLException e) {
      throw new IllegalStateException("the in-memory handshake failed: " + e.getClass().getSimpleName(), e);
    }
  }

  private static void runTasks(SSLEngine engine) {
    for (Runnable task = engine.getDelegatedTask(); task != null; task = engine.getDelegatedTask()) {
      task.run();
    }
  }

  private static String b64(String pem) {
    return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII));
  }

  private static KeyManagerFactory keyManagers(java.security.PrivateKey key, X509Certificate cert) {
    try {
      KeyStore ks = KeyStore.getInstance("JKS");
      ks.load(null, null);
      ks.setKeyEntry("key", key, new char[0], new Certificate[] {cert});
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, new char[0]);
      return kmf;
    } catch (java.security.GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static TrustManagerFactory trustManagers(X509Certificate ca) {
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setCertificateEntry("ca", ca);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      return tmf;
    } catch (java.security.GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
