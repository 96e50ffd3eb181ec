package io.kubeforge.worker.kube;

import io.kubeforge.worker.config.SafeYaml;
import io.kubeforge.worker.pki.Pem;
import io.kubeforge.worker.support.DnsNames;
import io.kubeforge.worker.support.NamedFiles;
import io.kubeforge.worker.support.WorkerException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;

/**
 * Kubeconfig is what the client takes from a kubeconfig file: the current context's server URL
 * and CA, and its user's credentials (a client certificate and key, in any PEM form kubeadm
 * writes, or a bearer token). Only the forms kubeadm and kubectl write for these are read; a
 * kubeconfig that asks to skip TLS verification, or that authenticates by exec plugin, is refused
 * by name. File references are resolved against the kubeconfig's folder, as kubectl does. A
 * cluster's {@code tls-server-name} is honoured as kubectl honours it: the client connects to the
 * server URL's host but sends that name in SNI and verifies the certificate against it.
 */
public final class Kubeconfig {
  /** The request field that names a kubeconfig in every cluster call. */
  public static final String FIELD = "kubeconfig";
  /** Error code for a kubeconfig that cannot be used. */
  public static final String INVALID = "kube.invalid_kubeconfig";

  private final Path path;
  private final URI server;
  private final byte[] caPem;
  private final List<X509Certificate> ca;
  private final List<X509Certificate> clientChain;
  private final PrivateKey clientKey;
  private final String token;
  private final String user;
  private final String tlsServerName;
  private final Map<Path, byte[]> sources;

  private Kubeconfig(Path path, URI server, String tlsServerName, byte[] caPem, List<X509Certificate> ca,
                     List<X509Certificate> clientChain, PrivateKey clientKey, String token, String user,
                     Map<Path, byte[]> sources) {
    this.sources = sources;
    this.path = path;
    this.server = server;
    this.tlsServerName = tlsServerName;
    this.caPem = caPem;
    this.ca = ca;
    this.clientChain = clientChain;
    this.clientKey = clientKey;
    this.token = token;
    this.user = user;
  }

  /** Reads a kubeconfig; every problem is a 400 naming {@link #FIELD} and the file. */
  public static Kubeconfig read(Path path) {
    byte[] content;
    try {
      content = NamedFiles.read(path);
    } catch (IllegalArgumentException e) {
      throw bad(path, e.getMessage());
    }
    return parse(path, content);
  }

  /** Reads a kubeconfig whose content is {@code content}; files it names are read beside {@code path}. */
  static Kubeconfig parse(Path path, byte[] content) {
    String text;
    Map<Path, byte[]> sources = new java.util.LinkedHashMap<>();
    sources.put(path, digest(content));
    try {
      text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(content)).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw bad(path, "cannot be read: it is not UTF-8 text");
    }
    if (!(SafeYaml.load(text, FIELD) instanceof Map<?, ?> root)) {
      throw bad(path, "is not a kubeconfig (not a YAML mapping)");
    }
    String currentContext = string(root.get("current-context"));
    Map<?, ?> context = named(root, "contexts", "context", currentContext, path);
    String clusterName = context == null ? null : string(context.get("cluster"));
    String userName = context == null ? null : string(context.get("user"));
    Map<?, ?> cluster = named(root, "clusters", "cluster", clusterName, path);
    Map<?, ?> user = named(root, "users", "user", userName, path);
    if (cluster == null) {
      throw bad(path, "has no cluster for its current context '" + currentContext + "'");
    }
    String serverText = string(cluster.get("server"));
    URI server;
    try {
      server = URI.create(serverText == null ? "" : serverText);
    } catch (IllegalArgumentException e) {
      throw bad(path, "server '" + serverText + "' is not a URL");
    }
    if (!"https".equals(server.getScheme()) || server.getHost() == null) {
      throw bad(path, "server '" + serverText + "' must be an https:// URL");
    }
    if (Boolean.TRUE.equals(cluster.get("insecure-skip-tls-verify"))) {
      throw bad(path, "sets insecure-skip-tls-verify; kubeforge always verifies the API server's certificate");
    }
    String tlsServerName = null;
    Object sni = cluster.get("tls-server-name");
    if (sni != null && !"".equals(sni)) {
      if (!(sni instanceof String name) || !DnsNames.isSubdomain(name.toLowerCase(java.util.Locale.ROOT))) {
        throw bad(path, "tls-server-name '" + sni + "' is not a DNS name");
      }
      tlsServerName = name;
    }
    byte[] caPem = bytes(cluster, "certificate-authority-data", "certificate-authority", path, sources);
    List<X509Certificate> ca = List.of();
    if (caPem != null) {
      try {
        ca = Pem.parseCertificates(caPem);
      } catch (IllegalArgumentException e) {
        throw bad(path, "certificate-authority: " + e.getMessage());
      }
    }
    if (user == null) {
      throw bad(path, "has no user for its current context '" + currentContext + "'");
    }
    for (String unsupported : List.of("exec", "auth-provider", "username", "password")) {
      if (user.get(unsupported) != null) {
        throw bad(path, "user '" + userName + "' authenticates with '" + unsupported
            + "', which kubeforge does not support (use a client certificate or a token)");
      }
    }
    byte[] certPem = bytes(user, "client-certificate-data", "client-certificate", path, sources);
    byte[] keyPem = bytes(user, "client-key-data", "client-key", path, sources);
    String token = string(user.get("token"));
    if (token == null && user.get("tokenFile") != null) {
      byte[] t = file(path, string(user.get("tokenFile")), "tokenFile", sources);
      token = new String(t, StandardCharsets.UTF_8).strip();
    }
    if ((certPem == null) != (keyPem == null)) {
      throw bad(path, "user '" + userName + "' has a client certificate without a key or a key without a certificate");
    }
    List<X509Certificate> chain = List.of();
    PrivateKey key = null;
    String who;
    if (certPem != null) {
      try {
        chain = Pem.parseCertificates(certPem);
        key = Pem.parsePrivateKey(keyPem);
      } catch (IllegalArgumentException e) {
        throw bad(path, "user '" + userName + "': " + e.getMessage());
      }
      who = "user " + commonName(chain.get(0).getSubjectX500Principal()) + " (client certificate in " + path + ")";
    } else if (token != null && !token.isEmpty()) {
      who = "the token of user '" + userName + "' in " + path;
    } else {
      throw bad(path, "user '" + userName + "' has neither a client certificate nor a token");
    }
    return new Kubeconfig(path, server, tlsServerName, caPem, ca, chain, key, token, who, Map.copyOf(sources));
  }

  /**
   * A kubeconfig without a file and without credentials: anonymous requests to {@code server},
   * verified against {@code ca} (an empty list means the JDK's roots).
   */
  static Kubeconfig anonymous(URI server, List<X509Certificate> ca, String who) {
    return new Kubeconfig(null, server, null, null, List.copyOf(ca), List.of(), null, null, who, Map.of());
  }

  /**
   * Whether every file this kubeconfig was read from (the kubeconfig and the files it names) still
   * has the content it had then (compared by SHA-256). False for an anonymous client, or when a
   * file cannot be read.
   */
  boolean unchangedOnDisk() {
    if (sources.isEmpty()) {
      return false;
    }
    for (Map.Entry<Path, byte[]> e : sources.entrySet()) {
      byte[] now;
      try {
        now = NamedFiles.read(e.getKey());
      } catch (IllegalArgumentException ex) {
        return false;
      }
      if (!java.security.MessageDigest.isEqual(e.getValue(), digest(now))) {
        return false;
      }
    }
    return true;
  }

  private static byte[] digest(byte[] content) {
    try {
      return java.security.MessageDigest.getInstance("SHA-256").digest(content);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The kubeconfig file, or null for an anonymous client. */
  public Path path() {
    return path;
  }

  /** The current context's server URL. */
  public URI server() {
    return server;
  }

  /**
   * The cluster's {@code tls-server-name}: the name sent in SNI and checked against the server's
   * certificate instead of the server URL's host; null when not set.
   */
  public String tlsServerName() {
    return tlsServerName;
  }

  /** The name the server's certificate must carry: {@link #tlsServerName()} or the server URL's host. */
  public String verifiedName() {
    return tlsServerName != null ? tlsServerName : server.getHost();
  }

  /** The CA bundle as PEM (as it stands in the file), or null when the kubeconfig names none. */
  public byte[] caPem() {
    return caPem == null ? null : caPem.clone();
  }

  /** The CA certificates; empty when the kubeconfig names none (the JDK's roots are used). */
  public List<X509Certificate> ca() {
    return ca;
  }

  /** The client certificate chain, leaf first; empty for token authentication. */
  /** The client certificate this kubeconfig authenticates with (the first of its chain), if any. */
  public java.util.Optional<X509Certificate> clientCertificate() {
    return clientChain.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(clientChain.get(0));
  }

  List<X509Certificate> clientChain() {
    return clientChain;
  }

  /** The client key, or null for token authentication. Never logged. */
  PrivateKey clientKey() {
    return clientKey;
  }

  /** The bearer token, or null. Never logged. */
  String token() {
    return clientKey == null ? token : null;
  }

  /** Who the credentials are, for messages: user name and file, never the secret. */
  public String user() {
    return user;
  }

  private static Map<?, ?> named(Map<?, ?> root, String listKey, String itemKey, String name, Path path) {
    if (!(root.get(listKey) instanceof List<?> list) || list.isEmpty()) {
      return null;
    }
    for (Object o : list) {
      if (o instanceof Map<?, ?> entry && (name == null ? list.size() == 1 : name.equals(string(entry.get("name"))))) {
        return entry.get(itemKey) instanceof Map<?, ?> m ? m : null;
      }
    }
    return null;
  }

  private static byte[] bytes(Map<?, ?> entry, String dataKey, String fileKey, Path path, Map<Path, byte[]> sources) {
    String data = string(entry.get(dataKey));
    if (data != null && !data.isEmpty()) {
      try {
        return Base64.getDecoder().decode(data.strip());
      } catch (IllegalArgumentException e) {
        throw bad(path, dataKey + " is not valid base64");
      }
    }
    String file = string(entry.get(fileKey));
    return file == null || file.isEmpty() ? null : file(path, file, fileKey, sources);
  }

  private static byte[] file(Path kubeconfig, String name, String key, Map<Path, byte[]> sources) {
    Path dir = kubeconfig.toAbsolutePath().getParent();
    Path p;
    try {
      p = dir == null ? Path.of(name) : dir.resolve(name);
    } catch (java.nio.file.InvalidPathException e) {
      throw bad(kubeconfig, key + " is not a path");
    }
    try {
      byte[] content = NamedFiles.read(p);
      sources.put(p, digest(content));
      return content;
    } catch (IllegalArgumentException e) {
      throw bad(kubeconfig, key + " " + p + " " + e.getMessage());
    }
  }

  private static String string(Object o) {
    return o == null ? null : o.toString();
  }

  static String commonName(X500Principal principal) {
    X500Name name = X500Name.getInstance(principal.getEncoded());
    RDN[] cn = name.getRDNs(BCStyle.CN);
    return cn.length == 0 ? principal.getName() : IETFUtils.valueToString(cn[0].getFirst().getValue());
  }

  private static WorkerException bad(Path path, String reason) {
    return WorkerException.badInput(INVALID, FIELD, path + " " + reason);
  }
}
