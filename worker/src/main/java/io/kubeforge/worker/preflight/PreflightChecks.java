package io.kubeforge.worker.preflight;

import static io.kubeforge.worker.preflight.Check.error;
import static io.kubeforge.worker.preflight.Check.fatal;
import static io.kubeforge.worker.preflight.Check.warning;

import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.ExternalEtcd;
import io.kubeforge.worker.config.HostPort;
import io.kubeforge.worker.support.IpAddresses;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * PreflightChecks is the catalog: the checks kubeadm v1.34 runs before {@code init}
 * ({@code RunRootCheckOnly} + {@code InitNodeChecks}), {@code join} ({@code JoinNodeChecks}) and
 * {@code join --control-plane} (plus {@code checkIfReadyForAdditionalControlPlane} and the init
 * checks of a secondary control plane), in kubeadm's order, with kubeadm's names and severities.
 * A new kubeadm check is one {@code list.add(...)} line here (and, for a new kind of check, one
 * function in {@link Probes}).
 *
 * <p>Not run (they need a container runtime client, an init system or the kernel validators):
 * {@link #NOT_CHECKED}. The {@code CRI} check is reduced to "the socket accepts a connection";
 * kubeadm leaves it out (with a log line) when it cannot connect, so kubeforge is stricter there.
 */
final class PreflightChecks {
  /** kubeadm's checks this catalog does not run. */
  static final List<String> NOT_CHECKED = List.of("Firewalld", "SystemVerification", "Service-Kubelet", "ImagePull");
  static final int KUBEADM_MAJOR = 1;
  static final int KUBEADM_MINOR = 34;
  /** kubeadm's {@code MinimumKubeletVersion}: three minors below its own. */
  static final Semver MIN_KUBELET = new Semver(KUBEADM_MAJOR, KUBEADM_MINOR - 3, 0, "");
  static final int CONTROL_PLANE_CPUS = 2;
  static final long CONTROL_PLANE_MEM_MB = 1700;
  static final String IPV4_FORWARD = "sys/net/ipv4/ip_forward";
  static final String IPV6_FORWARD = "sys/net/ipv6/conf/default/forwarding";

  /** What the checks run for. */
  enum Mode {
    INIT, JOIN, JOIN_CONTROL_PLANE;

    String wire() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * The request's own inputs besides the model.
   *
   * @param mode init, join or join_control_plane
   * @param certificateKeyGiven join_control_plane downloads the shared certificates
   * @param discoveryEndpoint join's {@code discovery.bootstrapToken.apiServerEndpoint}, or null
   */
  record Plan(Mode mode, boolean certificateKeyGiven, String discoveryEndpoint) {}

  private PreflightChecks() {}

  static List<Check> forPlan(Plan p, ClusterModel m) {
    List<Check> list = new ArrayList<>();
    list.add(error("IsPrivilegedUser", Probes::privileged));
    if (p.mode() == Mode.INIT) {
      init(list, m, false, false);
      return list;
    }
    list.add(fileAvailable(m.kubeconfigDir().resolve("kubelet.conf")));
    list.add(fileAvailable(m.kubeconfigDir().resolve("bootstrap-kubelet.conf")));
    common(list, m, null);
    if (p.mode() == Mode.JOIN) {
      list.add(fileAvailable(m.certDir().resolve("ca.crt")));
    }
    if (p.discoveryEndpoint() != null) {
      String host = HostPort.parse(p.discoveryEndpoint(), "api_server_endpoint").host();
      list.add(warning("HTTPProxy", x -> Probes.httpProxy(x, host)));
      IpAddresses.parse(host).ifPresent(ip -> forwarding(list, host.indexOf(':') < 0, host.indexOf(':') >= 0));
    }
    if (p.mode() == Mode.JOIN_CONTROL_PLANE) {
      list.add(fatal("ControlPlaneEndpoint", x -> m.controlPlaneEndpoint() != null ? Optional.empty()
          : Optional.of("unable to add a new control plane instance to a cluster that doesn't have a stable "
              + "controlPlaneEndpoint address")));
      if (!p.certificateKeyGiven()) {
        list.add(fatal("SharedCertificates", x -> Probes.sharedCertificates(m.certDir(), !m.etcd().isExternal())));
      }
      init(list, m, true, p.certificateKeyGiven());
    }
    return list;
  }

  /** kubeadm's {@code InitNodeChecks}. */
  private static void init(List<Check> list, ClusterModel m, boolean secondary, boolean downloadCerts) {
    list.add(error("NumCPU", x -> Probes.numCpu(x, CONTROL_PLANE_CPUS)));
    list.add(error("Mem", x -> Probes.memory(x, CONTROL_PLANE_MEM_MB)));
    list.add(warning("KubernetesVersion", x -> Probes.kubernetesVersion(m.kubernetesVersion(), KUBEADM_MAJOR, KUBEADM_MINOR)));
    list.add(port(m.bindPort()));
    list.add(port(10259));
    list.add(port(10257));
    for (String c : List.of("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd")) {
      list.add(fileAvailable(m.manifestDir().resolve(c + ".yaml")));
    }
    if (m.advertiseAddress() != null) {
      list.add(warning("HTTPProxy", x -> Probes.httpProxy(x, m.advertiseAddress())));
    }
    boolean v4 = false;
    boolean v6 = false;
    List<String> cidrs = new ArrayList<>(m.serviceSubnets());
    cidrs.addAll(List.of((m.podSubnet() == null ? "" : m.podSubnet()).split(",", -1)));
    for (String cidr : cidrs) {
      list.add(warning("HTTPProxyCIDR", x -> Probes.httpProxyCidr(x, cidr)));
      Optional<IpAddresses.Cidr> c = IpAddresses.Cidr.parse(cidr);
      v4 |= c.isPresent() && !c.get().isIpv6();
      v6 |= c.isPresent() && c.get().isIpv6();
    }
    if (!secondary) {
      common(list, m, m.kubernetesVersion());
      if (m.advertiseAddress() != null) {
        v4 |= !m.advertiseIpv6();
        v6 |= m.advertiseIpv6();
      }
      forwarding(list, v4, v6);
      if (m.etcd().isExternal()) {
        ExternalEtcd ext = m.etcd().external();
        list.add(error("ExternalEtcdVersion", x -> ExternalEtcdVersion.check(ext, x)));
      }
    }
    if (!m.etcd().isExternal()) {
      list.add(port(2379));
      list.add(port(2380));
      Path data = Path.of(m.etcd().local().dataDir());
      list.add(error("DirAvailable" + dashed(data), x -> Probes.dirAvailable(data)));
    }
    if (m.etcd().isExternal() && !(secondary && downloadCerts)) {
      ExternalEtcd ext = m.etcd().external();
      for (String f : List.of(ext.caFile(), ext.certFile(), ext.keyFile())) {
        if (!f.isEmpty()) {
          list.add(error("ExternalEtcdClientCertificates", x -> Probes.fileExisting(Path.of(f))));
        }
      }
    }
  }

  /** kubeadm's {@code addCommonChecks} (init and join); {@code kubernetesVersion} is null for join. */
  private static void common(List<Check> list, ClusterModel m, String kubernetesVersion) {
    list.add(error("CRI", x -> Probes.criSocket(x, m.criSocket())));
    list.add(warning("Swap", Probes::swap));
    List<String> executables = new ArrayList<>();
    Optional<Semver> v = kubernetesVersion == null ? Optional.empty() : Semver.parse(kubernetesVersion);
    if (v.isPresent() && v.get().lessThan(new Semver(1, 32, 0, ""))) {
      executables.add("conntrack");
    }
    executables.addAll(List.of("losetup", "mount", "cp"));
    for (String e : executables) {
      list.add(error("FileExisting-" + e, x -> Probes.inPath(x, e)));
    }
    list.add(warning("Hostname", x -> Probes.hostname(x, m.nodeName())));
    list.add(error("KubeletVersion", x -> Probes.kubeletVersion(x, kubernetesVersion, MIN_KUBELET)));
    list.add(port(10250));
  }

  private static void forwarding(List<Check> list, boolean v4, boolean v6) {
    if (v4) {
      list.add(error("FileContent" + dashed(Path.of("/proc", IPV4_FORWARD)),
          x -> Probes.fileContent(x.proc(IPV4_FORWARD), "1")));
    }
    if (v6) {
      list.add(error("FileContent" + dashed(Path.of("/proc", IPV6_FORWARD)),
          x -> Probes.fileContent(x.proc(IPV6_FORWARD), "1")));
    }
  }

  private static Check port(int port) {
    return error("Port-" + port, x -> Probes.portFree(port));
  }

  private static Check fileAvailable(Path file) {
    return error("FileAvailable" + dashed(file), x -> Probes.fileAvailable(file));
  }

  /** kubeadm's path-derived name suffix: every {@code /} becomes {@code -}. */
  static String dashed(Path p) {
    return "-" + p.toString().replace('/', '-');
  }
}
