package io.kubeforge.worker.preflight;

import io.kubeforge.worker.kube.ProxyFromEnv;
import io.kubeforge.worker.pki.Pem;
import io.kubeforge.worker.support.IpAddresses;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Probes are the functions behind kubeadm's preflight checks, one per kubeadm {@code Checker}
 * type, each with kubeadm v1.34's failure wording. They only read: files (bounded, regular files
 * only), {@code /proc}, a listen-and-close on a port, a connect to the runtime socket, a name
 * lookup and {@code kubelet --version}, each with a time limit.
 */
final class Probes {
  private static final Pattern KUBELET_VERSION = Pattern.compile(
      "^\\s*Kubernetes v((0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)([-\\w.+]*)?)\\s*$");
  private static final Pattern QUALIFIED_NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");

  private Probes() {}

  private static Optional<String> fail(String message) {
    return Optional.of(message);
  }

  /** {@code IsPrivilegedUserCheck}: the real user id (first {@code Uid:} field of /proc/self/status) is 0. */
  static Optional<String> privileged(Host h) {
    Optional<String> uid = statusField(h, "Uid").map(v -> v.split("\\s+")[0]);
    return uid.isPresent() && uid.get().equals("0") ? Optional.empty() : fail("user is not running as root");
  }

  /** {@code NumCPUCheck}: the CPUs this process may run on (Go's {@code runtime.NumCPU}, the affinity mask). */
  static Optional<String> numCpu(Host h, int required) {
    int n = statusField(h, "Cpus_allowed_list").map(Probes::countCpus).orElse(Runtime.getRuntime().availableProcessors());
    return n < required ? fail("the number of available CPUs " + n + " is less than the required " + required) : Optional.empty();
  }

  static int countCpus(String list) {
    int n = 0;
    for (String part : list.trim().split(",")) {
      if (part.isBlank()) {
        continue;
      }
      String[] r = part.trim().split("-");
      n += r.length == 2 ? Integer.parseInt(r[1]) - Integer.parseInt(r[0]) + 1 : 1;
    }
    return n;
  }

  /** {@code MemCheck}: total RAM in MB ({@code MemTotal} of /proc/meminfo, as sysinfo's totalram). */
  static Optional<String> memory(Host h, long requiredMb) {
    Optional<String> kb = h.procText("meminfo").flatMap(t -> field(t, "MemTotal"))
        .map(v -> v.replace("kB", "").trim());
    if (kb.isEmpty() || !kb.get().matches("\\d{1,15}")) {
      return fail("failed to get system info: " + h.proc("meminfo") + " has no MemTotal");
    }
    long mb = Long.parseLong(kb.get()) / 1024;
    return mb < requiredMb ? fail("the system RAM (" + mb + " MB) is less than the minimum " + requiredMb + " MB") : Optional.empty();
  }

  /** {@code SwapCheck}: /proc/swaps lists a swap device (more than its header line). */
  static Optional<String> swap(Host h) {
    Optional<String> swaps = h.procText("swaps");
    if (swaps.isEmpty() || swaps.get().lines().count() <= 1) {
      return Optional.empty();
    }
    return fail("swap is supported for cgroup v2 only. The kubelet must be properly configured to use swap. "
        + "Please refer to https://kubernetes.io/docs/concepts/architecture/nodes/#swap-memory, or disable swap on the node");
  }

  /** {@code FileContentCheck}: the file starts with {@code content} (kubeadm reads exactly that many bytes). */
  static Optional<String> fileContent(Path file, String content) {
    Optional<byte[]> b = Host.readBounded(file, content.length());
    if (b.isEmpty()) {
      return fail(file + " does not exist");
    }
    return new String(b.get(), StandardCharsets.UTF_8).equals(content) ? Optional.empty()
        : fail(file + " contents are not set to " + content);
  }

  /** {@code PortOpenCheck}: a TCP listen on all addresses succeeds (and is closed again at once). */
  static Optional<String> portFree(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(port));
      return Optional.empty();
    } catch (IOException e) {
      return fail("Port " + port + " is in use");
    }
  }

  /** {@code FileAvailableCheck}: the file must not exist yet. */
  static Optional<String> fileAvailable(Path file) {
    return Files.exists(file) ? fail(file + " already exists") : Optional.empty();
  }

  /** {@code FileExistingCheck}: the file must exist. */
  static Optional<String> fileExisting(Path file) {
    return Files.exists(file) ? Optional.empty() : fail(file + " doesn't exist");
  }

  /** {@code DirAvailableCheck}: the folder does not exist or is empty. */
  static Optional<String> dirAvailable(Path dir) {
    if (!Files.exists(dir)) {
      return Optional.empty();
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
      return s.iterator().hasNext() ? fail(dir + " is not empty") : Optional.empty();
    } catch (NotDirectoryException e) {
      return fail(dir + " is not empty");
    } catch (AccessDeniedException e) {
      return fail("unable to check if " + dir + " is empty: open " + dir + ": permission denied");
    } catch (IOException e) {
      return fail("unable to check if " + dir + " is empty: " + e.getMessage());
    }
  }

  /** {@code InPathCheck}: the executable is in PATH. */
  static Optional<String> inPath(Host h, String executable) {
    return h.lookPath(executable).isPresent() ? Optional.empty() : fail(executable + " not found in system path");
  }

  /** {@code HostnameCheck}: the node name is a qualified name and resolves. */
  static Optional<String> hostname(Host h, String nodeName) {
    List<String> warnings = new ArrayList<>(qualifiedName(nodeName).stream()
        .map(m -> "invalid node name format \"" + nodeName + "\": " + m).toList());
    try {
      if (h.lookupHost(nodeName).isEmpty()) {
        warnings.add("hostname \"" + nodeName + "\" could not be reached");
      }
    } catch (UnknownHostException e) {
      warnings.add("hostname \"" + nodeName + "\" could not be reached");
      warnings.add("hostname \"" + nodeName + "\": " + e.getMessage());
    }
    return warnings.isEmpty() ? Optional.empty() : fail(String.join("; ", warnings));
  }

  /** apimachinery's {@code IsQualifiedName} messages for a name without a prefix. */
  static List<String> qualifiedName(String name) {
    List<String> out = new ArrayList<>();
    String n = name;
    int slash = name.indexOf('/');
    if (slash >= 0) {
      n = name.substring(slash + 1);
    }
    if (n.isEmpty()) {
      out.add("name part must be non-empty");
      return out;
    }
    if (n.length() > 63) {
      out.add("name part must be no more than 63 characters");
    }
    if (!QUALIFIED_NAME.matcher(n).matches()) {
      out.add("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
          + "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
          + "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
    }
    return out;
  }

  /** {@code HTTPProxyCheck}: would {@code https://<host>} go through a proxy. */
  static Optional<String> httpProxy(Host h, String host) {
    boolean v6 = host.indexOf(':') >= 0;
    String url = v6 ? "https://[" + host + "]:1234" : "https://" + host;
    return ProxyFromEnv.proxyUrlFor(host, v6 ? 1234 : 443, h.env())
        .map(p -> "Connection to \"" + url + "\" uses proxy \"" + p + "\". If that is not intended, adjust your proxy settings");
  }

  /** {@code HTTPProxyCIDRCheck}: would the first address of the CIDR be reached through a proxy. */
  static Optional<String> httpProxyCidr(Host h, String cidr) {
    if (cidr.isEmpty()) {
      return Optional.empty();
    }
    Optional<IpAddresses.Cidr> c = IpAddresses.Cidr.parse(cidr);
    if (c.isEmpty()) {
      return fail("error parsing CIDR \"" + cidr + "\": invalid CIDR address: " + cidr);
    }
    String ip = IpAddresses.format(IpAddresses.indexed(c.get(), 1));
    return ProxyFromEnv.proxyUrlFor(ip, 1234, h.env()).map(p -> "connection to \"" + cidr + "\" uses proxy \"" + p
        + "\". This may lead to malfunctional cluster setup. Make sure that Pod and Services IP ranges specified "
        + "correctly as exceptions in proxy configuration");
  }

  /** {@code ContainerRuntimeCheck}, reduced to its first step: the CRI socket accepts a connection. */
  static Optional<String> criSocket(Host h, String endpoint) {
    String path = endpoint.startsWith("unix://") ? endpoint.substring("unix://".length()) : endpoint;
    if (!path.startsWith("/")) {
      return fail("container runtime is not running: unsupported CRI endpoint " + endpoint);
    }
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.configureBlocking(false);
      boolean done = ch.connect(UnixDomainSocketAddress.of(path));
      long deadline = System.nanoTime() + h.timeout().toNanos();
      while (!done && System.nanoTime() < deadline) {
        Thread.sleep(20);
        done = ch.finishConnect();
      }
      return done ? Optional.empty() : fail("container runtime is not running: dial unix " + path + ": i/o timeout");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return fail("container runtime is not running: interrupted");
    } catch (IOException e) {
      String why = !Files.exists(Path.of(path)) ? "no such file or directory"
          : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().toLowerCase(java.util.Locale.ROOT);
      return fail("container runtime is not running: dial unix " + path + ": connect: " + why);
    }
  }

  /** {@code KubeletVersionCheck}: {@code kubelet --version} is at least the minimum and not newer than the control plane. */
  static Optional<String> kubeletVersion(Host h, String kubernetesVersion, Semver minimum) {
    Optional<Path> kubelet = h.lookPath("kubelet");
    if (kubelet.isEmpty()) {
      return fail("couldn't get kubelet version: cannot execute 'kubelet --version': executable file not found in $PATH");
    }
    String out;
    try {
      out = h.output(List.of(kubelet.get().toString(), "--version")).trim();
    } catch (IOException e) {
      return fail("couldn't get kubelet version: cannot execute 'kubelet --version': " + e.getMessage());
    }
    Matcher m = KUBELET_VERSION.matcher(out);
    Optional<Semver> v = m.matches() ? Semver.parse(m.group(1)) : Optional.empty();
    if (v.isEmpty()) {
      return fail("couldn't get kubelet version: Unable to parse output from Kubelet: \"" + out + "\"");
    }
    if (v.get().lessThan(minimum)) {
      return fail("Kubelet version \"" + v.get() + "\" is lower than kubeadm can support. Please upgrade kubelet");
    }
    if (kubernetesVersion != null) {
      Semver cp = Semver.parse(kubernetesVersion).orElseThrow();
      if (v.get().major() > cp.major() || v.get().minor() > cp.minor()) {
        return fail("the kubelet version is higher than the control plane version. This is not a supported version "
            + "skew and may lead to a malfunctional cluster. Kubelet version: \"" + v.get() + "\" Control plane version: \""
            + cp + "\"");
      }
    }
    return Optional.empty();
  }

  /** {@code KubernetesVersionCheck}: the target version is below kubeadm's next minor. */
  static Optional<String> kubernetesVersion(String kubernetesVersion, int kubeadmMajor, int kubeadmMinor) {
    Optional<Semver> v = Semver.parse(kubernetesVersion);
    if (v.isEmpty()) {
      return fail("couldn't parse Kubernetes version \"" + kubernetesVersion + "\"");
    }
    Semver firstUnsupported = new Semver(kubeadmMajor, kubeadmMinor + 1, 0, "0");
    return v.get().lessThan(firstUnsupported) ? Optional.empty()
        : fail("Kubernetes version is greater than kubeadm version. Please consider to upgrade kubeadm. Kubernetes version: "
            + v.get() + ". Kubeadm version: " + kubeadmMajor + "." + kubeadmMinor + ".x");
  }

  /**
   * kubeadm's {@code SharedCertificateExists}: the CAs ({@code ca}, {@code front-proxy-ca} and, for
   * local etcd, {@code etcd/ca}) load and are CAs, and {@code sa.key}/{@code sa.pub} load.
   */
  static Optional<String> sharedCertificates(Path certDir, boolean localEtcd) {
    List<String> errs = new ArrayList<>();
    ca(certDir, "ca", "CA").ifPresent(errs::add);
    Path saKey = certDir.resolve("sa.key");
    Path saPub = certDir.resolve("sa.pub");
    try {
      Pem.parsePrivateKey(readFile(saKey));
      try {
        if (Pem.parsePublicKeys(readFile(saPub)).isEmpty()) {
          throw new IllegalArgumentException("data does not contain any valid public keys");
        }
      } catch (IOException | IllegalArgumentException e) {
        errs.add("failure loading key for service account: couldn't load the public key file " + saPub + ": " + e.getMessage());
      }
    } catch (IOException | IllegalArgumentException e) {
      errs.add("failure loading key for service account: couldn't load the private key file " + saKey + ": " + e.getMessage());
    }
    ca(certDir, "front-proxy-ca", "front-proxy CA").ifPresent(errs::add);
    if (localEtcd) {
      ca(certDir, "etcd/ca", "etcd CA").ifPresent(errs::add);
    }
    if (errs.isEmpty()) {
      return Optional.empty();
    }
    return fail(errs.size() == 1 ? errs.get(0) : "[" + String.join(", ", errs) + "]");
  }

  private static Optional<String> ca(Path certDir, String base, String ux) {
    Path file = certDir.resolve(base + ".crt");
    X509Certificate cert;
    try {
      cert = Pem.parseCertificates(readFile(file)).get(0);
    } catch (IOException | IllegalArgumentException e) {
      return fail("failure loading certificate for " + ux + ": couldn't load the certificate file " + file + ": " + e.getMessage());
    }
    return cert.getBasicConstraints() < 0 ? fail("certificate " + ux + " is not a CA") : Optional.empty();
  }

  private static byte[] readFile(Path file) throws IOException {
    if (!Files.exists(file)) {
      throw new NoSuchFileException("open " + file + ": no such file or directory");
    }
    return Host.readBounded(file, Host.MAX_READ).orElseThrow(() -> new IOException("open " + file + ": not a readable file"));
  }

  private static Optional<String> statusField(Host h, String name) {
    return h.procText("self/status").flatMap(t -> field(t, name));
  }

  private static Optional<String> field(String text, String name) {
    return text.lines().filter(l -> l.startsWith(name + ":")).findFirst()
        .map(l -> l.substring(name.length() + 1).trim());
  }
}
