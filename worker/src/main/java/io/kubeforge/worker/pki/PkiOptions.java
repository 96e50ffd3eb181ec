package io.kubeforge.worker.pki;

import io.kubeforge.worker.support.DnsNames;
import io.kubeforge.worker.support.IpAddresses;
import io.kubeforge.worker.support.IpAddresses.Cidr;
import io.kubeforge.worker.support.RequestFields;
import io.kubeforge.worker.support.WorkerException;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * PkiOptions is a validated {@code POST /v1/pki} request (see docs/api.md), defaults applied.
 *
 * @param certDir absolute certificate directory, default {@code /etc/kubernetes/pki}
 * @param nodeName RFC 1123 node name, default the host name in lower case
 * @param advertiseAddress the API server's advertise address (required)
 * @param bindPort API server port, default 6443
 * @param controlPlaneEndpoint {@code host[:port]}, if any
 * @param serviceSubnets one CIDR, or two of different families (dual stack)
 * @param dnsDomain cluster DNS domain, default {@code cluster.local}
 * @param apiServerCertSans extra API server SANs
 * @param etcdServerCertSans extra etcd server SANs
 * @param etcdPeerCertSans extra etcd peer SANs
 * @param localEtcd true for {@code etcd: local} (default), false for {@code external}
 * @param keyAlgorithm algorithm of every new key, default RSA-2048
 * @param certificateValidity leaf validity, default 8760h
 * @param caCertificateValidity CA validity, default 87600h
 * @param backup copy replaced files to {@code <file>.<UTC stamp>.bak} first, default true
 */
public record PkiOptions(Path certDir, String nodeName, InetAddress advertiseAddress, int bindPort,
                         Optional<Endpoint> controlPlaneEndpoint, List<Cidr> serviceSubnets,
                         String dnsDomain, AltNames apiServerCertSans, AltNames etcdServerCertSans,
                         AltNames etcdPeerCertSans, boolean localEtcd, KeyAlgorithm keyAlgorithm,
                         Duration certificateValidity, Duration caCertificateValidity, boolean backup) {
  /** kubeadm's default certificates directory. */
  public static final String DEFAULT_CERT_DIR = "/etc/kubernetes/pki";
  /** Longest accepted validity (100 years); X.509 dates end in 9999 and nobody needs more. */
  public static final Duration MAX_VALIDITY = Duration.ofHours(876_000);

  /** The request fields this capability reads itself; every other cluster option belongs to the model. */
  public static final Set<String> FIELDS = Set.of("cert_dir", "node_name", "advertise_address",
      "bind_port", "control_plane_endpoint", "service_subnet", "dns_domain", "apiserver_cert_sans",
      "etcd_server_cert_sans", "etcd_peer_cert_sans", "etcd", "key_algorithm",
      "certificate_validity", "ca_certificate_validity", "backup",
      // the HTTP layer normally strips dry_run and passes it separately; tolerate it here
      "dry_run");

  /**
   * Endpoint is a parsed {@code control_plane_endpoint}.
   *
   * @param host an IP literal or a DNS name
   * @param port the port, or the bind port when none was given
   */
  public record Endpoint(String host, int port) {}

  public PkiOptions {
    serviceSubnets = List.copyOf(serviceSubnets);
  }

  /** Validates a request body using the machine's host name as default node name. */
  public static PkiOptions fromMap(Map<String, Object> body) {
    return fromMap(body, PkiOptions::hostName);
  }

  /**
   * Validates a request body; every problem is a {@link WorkerException#badInput} naming the
   * field ({@code request.unknown_field}, {@code request.wrong_type},
   * {@code request.missing_field}, {@code pki.invalid_*}).
   */
  public static PkiOptions fromMap(Map<String, Object> body, Supplier<String> hostName) {
    RequestFields f = RequestFields.of(body, FIELDS);
    Path certDir = f.absolutePath("cert_dir", DEFAULT_CERT_DIR, "pki.invalid_path");
    String nodeName = nodeName(f, hostName);
    InetAddress advertise = ip("advertise_address", f.requiredString("advertise_address"));
    if (advertise.isAnyLocalAddress()) {
      throw WorkerException.badInput("pki.invalid_ip", "advertise_address",
          "'" + IpAddresses.format(advertise) + "' is unspecified; give the address the API server is reached at");
    }
    int bindPort = port("bind_port", f.integer("bind_port", 6443));
    Optional<Endpoint> endpoint = f.string("control_plane_endpoint").filter(s -> !s.isEmpty())
        .map(s -> endpoint(s, bindPort));
    List<Cidr> subnets = serviceSubnets(f.string("service_subnet").orElse("10.96.0.0/12"));
    String dnsDomain = f.string("dns_domain").orElse("cluster.local");
    if (!DnsNames.isSubdomain(dnsDomain)) {
      throw WorkerException.badInput("pki.invalid_name", "dns_domain",
          "'" + dnsDomain + "' is not a DNS name (RFC 1123)");
    }
    AltNames apiSans = AltNames.parseExtra("apiserver_cert_sans", f.stringList("apiserver_cert_sans"));
    AltNames etcdServerSans = AltNames.parseExtra("etcd_server_cert_sans", f.stringList("etcd_server_cert_sans"));
    AltNames etcdPeerSans = AltNames.parseExtra("etcd_peer_cert_sans", f.stringList("etcd_peer_cert_sans"));
    String etcd = f.string("etcd").orElse("local");
    if (!etcd.equals("local") && !etcd.equals("external")) {
      throw WorkerException.badInput("pki.invalid_choice", "etcd",
          "'" + etcd + "' is not one of: local, external");
    }
    String alg = f.string("key_algorithm").orElse(KeyAlgorithm.DEFAULT.id());
    KeyAlgorithm keyAlgorithm = KeyAlgorithm.byId(alg).orElseThrow(() -> WorkerException.badInput(
        "pki.invalid_choice", "key_algorithm", "'" + alg + "' is not one of: " + KeyAlgorithm.ids()));
    Duration validity = f.positiveDuration("certificate_validity", "8760h", MAX_VALIDITY, "pki.invalid_duration");
    Duration caValidity = f.positiveDuration("ca_certificate_validity", "87600h", MAX_VALIDITY, "pki.invalid_duration");
    f.bool("dry_run", false);
    return new PkiOptions(certDir, nodeName, advertise, bindPort, endpoint, subnets, dnsDomain,
        apiSans, etcdServerSans, etcdPeerSans, etcd.equals("local"), keyAlgorithm, validity,
        caValidity, f.bool("backup", true));
  }

  private static String nodeName(RequestFields f, Supplier<String> hostName) {
    Optional<String> given = f.string("node_name");
    String name = given.orElseGet(() -> hostName.get().toLowerCase(Locale.ROOT));
    if (!DnsNames.isSubdomain(name)) {
      throw WorkerException.badInput("pki.invalid_name", "node_name", "'" + name
          + "' is not a DNS name (RFC 1123)" + (given.isEmpty() ? " (taken from the host name); set node_name" : ""));
    }
    return name;
  }

  private static InetAddress ip(String field, String text) {
    return IpAddresses.parse(text).orElseThrow(() -> WorkerException.badInput("pki.invalid_ip", field,
        "'" + text + "' is not an IP address"));
  }

  private static int port(String field, long port) {
    if (port < 1 || port > 65535) {
      throw WorkerException.badInput("pki.invalid_port", field, port + " is not a port (1-65535)");
    }
    return (int) port;
  }

  /** Splits {@code host}, {@code host:port}, {@code [v6]:port} or a bare IPv6 literal. */
  static Endpoint endpoint(String text, int defaultPort) {
    String field = "control_plane_endpoint";
    String host = text;
    String port = null;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0 || (close != text.length() - 1 && text.charAt(close + 1) != ':')) {
        throw WorkerException.badInput("pki.invalid_endpoint", field, "'" + text + "' is not host[:port]");
      }
      host = text.substring(1, close);
      port = close == text.length() - 1 ? null : text.substring(close + 2);
    } else if (text.indexOf(':') >= 0 && text.indexOf(':') == text.lastIndexOf(':')) {
      host = text.substring(0, text.indexOf(':'));
      port = text.substring(text.indexOf(':') + 1);
    }
    if (IpAddresses.parse(host).isEmpty() && !DnsNames.isSubdomain(host)) {
      throw WorkerException.badInput("pki.invalid_endpoint", field, "'" + text
          + "': host '" + host + "' is neither an IP address nor a DNS name (RFC 1123)");
    }
    if (port == null) {
      return new Endpoint(host, defaultPort);
    }
    if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw WorkerException.badInput("pki.invalid_endpoint", field, "'" + text + "': '" + port + "' is not a port");
    }
    return new Endpoint(host, port(field, Long.parseLong(port)));
  }

  private static List<Cidr> serviceSubnets(String text) {
    String field = "service_subnet";
    List<Cidr> out = new ArrayList<>();
    for (String part : text.split(",", -1)) {
      String p = part.strip();
      out.add(Cidr.parse(p).orElseThrow(() -> WorkerException.badInput("pki.invalid_cidr", field,
          "'" + p + "' is not a CIDR such as 10.96.0.0/12")));
    }
    if (out.size() > 2 || (out.size() == 2 && out.get(0).isIpv6() == out.get(1).isIpv6())) {
      throw WorkerException.badInput("pki.invalid_cidr", field, "'" + text
          + "': give one CIDR, or two of different IP families for dual stack");
    }
    return out;
  }

  /** Reads the host name as Go's os.Hostname does (kernel first), without a DNS lookup. */
  static String hostName() {
    try {
      String h = Files.readString(Path.of("/proc/sys/kernel/hostname"), StandardCharsets.UTF_8).strip();
      if (!h.isEmpty()) {
        return h;
      }
    } catch (IOException | RuntimeException e) {
      // fall through to the JDK
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }
}
