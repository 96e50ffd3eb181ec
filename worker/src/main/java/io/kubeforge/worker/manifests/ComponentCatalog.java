package io.kubeforge.worker.manifests;

import io.kubeforge.worker.config.Arg;
import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.ComponentExtras;
import io.kubeforge.worker.config.Endpoints;
import io.kubeforge.worker.config.EnvVar;
import io.kubeforge.worker.config.ExternalEtcd;
import io.kubeforge.worker.config.Flags;
import io.kubeforge.worker.config.HostProbe;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * ComponentCatalog describes the control-plane static Pods kubeadm v1.34 writes, as data: one
 * {@link ComponentSpec} per component (binary, resources, probe port and paths, default flags,
 * volumes, annotations) and {@link #render} to turn a model into Pod trees. Flags are built
 * from a default list merged with the user's extra flags by {@link Flags#command}; no string
 * templates.
 */
public final class ComponentCatalog {
  /** Ports and paths kubeadm uses. */
  static final int KCM_PORT = 10257;
  static final int SCHEDULER_PORT = 10259;
  static final int ETCD_CLIENT_PORT = 2379;
  static final int ETCD_PEER_PORT = 2380;
  static final int ETCD_METRICS_PORT = 2381;
  static final String CA_CERTS = "/etc/ssl/certs";
  static final String FLEXVOLUME_DIR = "/usr/libexec/kubernetes/kubelet-plugins/volume/exec";
  /** Directories mounted when they exist on the host (volumes.go caCertsExtraVolumePaths, 1.31+). */
  static final List<String> CA_CERTS_EXTRA = List.of("/etc/pki/ca-trust", "/etc/pki/tls/certs",
      "/etc/ca-certificates", "/usr/share/ca-certificates", "/usr/local/share/ca-certificates");
  static final List<String> AUTHZ_MODES = List.of("Node", "RBAC", "Webhook", "ABAC", "AlwaysAllow", "AlwaysDeny");
  /** Volume holding the EncryptionConfiguration's directory (not a kubeadm volume). */
  public static final String ENCRYPTION_VOLUME = "encryption-config";

  /**
   * ComponentSpec is one static Pod: its name (also the binary and file base name), CPU and
   * memory requests, and how its container, volumes and annotations are derived from the model.
   *
   * @param name component name, e.g. {@code kube-apiserver}
   * @param cpu CPU request
   * @param memory memory request, or null
   * @param build derives the Pod from the model
   */
  public record ComponentSpec(String name, String cpu, String memory, Function<Context, Map<String, Object>> build) {
    /** Returns the manifest file name, {@code <name>.yaml}. */
    public String fileName() {
      return name + ".yaml";
    }
  }

  /** Context passes the model, the host probe and a sink for warnings to a spec. */
  public record Context(ClusterModel model, HostProbe host, List<String> warnings) {}

  public static final ComponentSpec KUBE_APISERVER =
      new ComponentSpec("kube-apiserver", "250m", null, ComponentCatalog::apiServer);
  public static final ComponentSpec KUBE_CONTROLLER_MANAGER =
      new ComponentSpec("kube-controller-manager", "200m", null, ComponentCatalog::controllerManager);
  public static final ComponentSpec KUBE_SCHEDULER =
      new ComponentSpec("kube-scheduler", "100m", null, ComponentCatalog::scheduler);
  public static final ComponentSpec ETCD = new ComponentSpec("etcd", "100m", "100Mi", ComponentCatalog::etcd);

  private ComponentCatalog() {}

  /**
   * Lists the components the model needs, in kubeadm's order; etcd only for local etcd of an
   * initialising node (a joining member's etcd needs the live member list, which kubeadm join
   * gets by adding the member as a learner first; this worker does not talk to etcd).
   */
  public static List<ComponentSpec> forModel(ClusterModel m) {
    return m.etcd().isExternal() || m.joinConfiguration()
        ? List.of(KUBE_APISERVER, KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER)
        : List.of(ETCD, KUBE_APISERVER, KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER);
  }

  /** Renders every needed Pod as a JSON-shaped tree, keyed by component name (catalog order). */
  public static Map<String, Map<String, Object>> render(ClusterModel m, HostProbe host, List<String> warnings) {
    m.requireAdvertiseAddress();
    Context ctx = new Context(m, host, warnings);
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    for (ComponentSpec spec : forModel(m)) {
      out.put(spec.name(), spec.build().apply(ctx));
    }
    return out;
  }

  private static String pki(ClusterModel m, String file) {
    return m.certDir().resolve(file).toString();
  }

  private static String kubeconfig(ClusterModel m, String file) {
    return m.kubeconfigDir().resolve(file).toString();
  }

  private static Map<String, Object> container(ComponentSpec spec, ClusterModel m, String image, List<String> command,
                                               Volumes volumes, List<EnvVar> extraEnvs, Context ctx) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("command", command);
    List<Object> env = PodTemplate.env(spec == ETCD ? List.of() : PodTemplate.proxyEnv(ctx.host().environment()), extraEnvs);
    if (!env.isEmpty()) {
      c.put("env", env);
    }
    c.put("image", image);
    c.put("imagePullPolicy", "IfNotPresent");
    c.put("name", spec.name());
    c.put("resources", PodTemplate.resources(spec.cpu(), spec.memory()));
    c.put("volumeMounts", volumes.mounts());
    return c;
  }

  // ---- kube-apiserver (controlplane/manifests.go getAPIServerCommand) ----

  static List<String> apiServerCommand(ClusterModel m, List<String> warnings) {
    List<Arg> d = new ArrayList<>(List.of(
        new Arg("advertise-address", m.requireAdvertiseAddress()),
        new Arg("enable-admission-plugins", "NodeRestriction"),
        new Arg("service-cluster-ip-range", m.serviceSubnet()),
        new Arg("service-account-key-file", pki(m, "sa.pub")),
        new Arg("service-account-signing-key-file", pki(m, "sa.key")),
        new Arg("service-account-issuer", "https://kubernetes.default.svc." + m.dnsDomain()),
        new Arg("client-ca-file", pki(m, "ca.crt")),
        new Arg("tls-cert-file", pki(m, "apiserver.crt")),
        new Arg("tls-private-key-file", pki(m, "apiserver.key")),
        new Arg("kubelet-client-certificate", pki(m, "apiserver-kubelet-client.crt")),
        new Arg("kubelet-client-key", pki(m, "apiserver-kubelet-client.key")),
        new Arg("enable-bootstrap-token-auth", "true"),
        new Arg("secure-port", Integer.toString(m.bindPort())),
        new Arg("allow-privileged", "true"),
        new Arg("kubelet-preferred-address-types", "InternalIP,ExternalIP,Hostname"),
        new Arg("requestheader-username-headers", "X-Remote-User"),
        new Arg("requestheader-group-headers", "X-Remote-Group"),
        new Arg("requestheader-extra-headers-prefix", "X-Remote-Extra-"),
        new Arg("requestheader-client-ca-file", pki(m, "front-proxy-ca.crt")),
        new Arg("requestheader-allowed-names", "front-proxy-client"),
        new Arg("proxy-client-cert-file", pki(m, "front-proxy-client.crt")),
        new Arg("proxy-client-key-file", pki(m, "front-proxy-client.key"))));
    if (m.etcd().isExternal()) {
      ExternalEtcd ext = m.etcd().external();
      Flags.set(d, "etcd-servers", String.join(",", ext.endpoints()));
      if (!ext.caFile().isEmpty()) {
        Flags.set(d, "etcd-cafile", ext.caFile());
      }
      if (!ext.certFile().isEmpty() && !ext.keyFile().isEmpty()) {
        Flags.set(d, "etcd-certfile", ext.certFile());
        Flags.set(d, "etcd-keyfile", ext.keyFile());
      }
    } else {
      String localhost = m.advertiseIpv6() ? "::1" : "127.0.0.1";
      Flags.set(d, "etcd-servers", "https://" + Endpoints.joinHostPort(localhost, ETCD_CLIENT_PORT));
      Flags.set(d, "etcd-cafile", pki(m, "etcd/ca.crt"));
      Flags.set(d, "etcd-certfile", pki(m, "apiserver-etcd-client.crt"));
      Flags.set(d, "etcd-keyfile", pki(m, "apiserver-etcd-client.key"));
      m.etcdExtras().lastArg("advertise-client-urls").ifPresent(v -> Flags.set(d, "etcd-servers", v));
    }
    if (m.encryptionConfigPath() != null) {
      Flags.set(d, "encryption-provider-config", m.encryptionConfigPath().toString());
    }
    ComponentExtras extra = m.apiServer();
    if (extra.lastArg("authorization-config").isEmpty()) {
      Flags.set(d, "authorization-mode", authzModes(extra.lastArg("authorization-mode").orElse(""), warnings));
    }
    return Flags.command("kube-apiserver", d, extra.extraArgs());
  }

  /** kubeadm's getAuthzModes: Node,RBAC unless the user names valid modes (unknown ones dropped with a warning). */
  static String authzModes(String requested, List<String> warnings) {
    if (!requested.isEmpty()) {
      List<String> modes = new ArrayList<>();
      for (String r : requested.split(",")) {
        if (AUTHZ_MODES.contains(r)) {
          modes.add(r);
        } else {
          warnings.add("ignoring unknown kube-apiserver authorization-mode \"" + r + "\"");
        }
      }
      if (!modes.isEmpty()) {
        if (!modes.equals(List.of("Node", "RBAC"))) {
          warnings.add("the default kube-apiserver authorization-mode is \"Node,RBAC\"; using \""
              + String.join(",", modes) + "\"");
        }
        return String.join(",", modes);
      }
    }
    return "Node,RBAC";
  }

  private static Map<String, Object> apiServer(Context ctx) {
    ClusterModel m = ctx.model();
    Volumes v = new Volumes();
    v.add("k8s-certs", m.certDir().toString(), m.certDir().toString(), true, "DirectoryOrCreate");
    v.add("ca-certs", CA_CERTS, CA_CERTS, true, "DirectoryOrCreate");
    if (m.etcd().isExternal()) {
      etcdCertVolumes(m, v);
    }
    addCaExtraVolumes(ctx, v);
    if (m.encryptionConfigPath() != null && !m.encryptionConfigPath().startsWith(m.certDir())) {
      // mount the directory, not the file: a file bind mount pins the inode, and the file is
      // replaced by atomic rename on key rotation
      String dir = m.encryptionConfigPath().getParent().toString();
      v.add(ENCRYPTION_VOLUME, dir, dir, true, "DirectoryOrCreate");
    }
    v.addExtra(m.apiServer().extraVolumes());
    String probeHost = probeAddress(m.requireAdvertiseAddress());
    Map<String, Object> c = container(KUBE_APISERVER, m, Images.kubernetes("kube-apiserver", m),
        apiServerCommand(m, ctx.warnings()), v, m.apiServer().extraEnvs(), ctx);
    c.put("livenessProbe", PodTemplate.liveness(probeHost, "/livez", "HTTPS"));
    c.put("readinessProbe", PodTemplate.readiness(probeHost, "/readyz", "HTTPS"));
    c.put("startupProbe", PodTemplate.startup(probeHost, "/livez", "HTTPS", m.controlPlaneComponentHealthCheck()));
    c.put("ports", PodTemplate.ports(m.bindPort()));
    return PodTemplate.componentPod(c, v.volumes(),
        Map.of("kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint", m.localEndpointHostPort()));
  }

  /** kubeadm's getEtcdCertVolumes: directories of the external etcd files not already mounted, parents collapsing children. */
  static void etcdCertVolumes(ClusterModel m, Volumes v) {
    ExternalEtcd ext = m.etcd().external();
    TreeSet<String> dirs = new TreeSet<>();
    for (String file : List.of(ext.caFile(), ext.certFile(), ext.keyFile())) {
      if (file.isEmpty()) {
        continue;
      }
      String dir = Path.of(file).getParent().toString();
      boolean covered = dir.startsWith(CA_CERTS) || dir.startsWith(m.certDir().toString())
          || CA_CERTS_EXTRA.stream().anyMatch(dir::startsWith);
      if (covered) {
        continue;
      }
      boolean exists = false;
      for (String existing : new ArrayList<>(dirs)) {
        if (existing.startsWith(dir)) {
          dirs.remove(existing);
        } else if (dir.startsWith(existing)) {
          exists = true;
        }
      }
      if (!exists) {
        dirs.add(dir);
      }
    }
    int i = 0;
    for (String dir : dirs) {
      v.add("etcd-certs-" + i++, dir, dir, true, "DirectoryOrCreate");
    }
  }

  private static void addCaExtraVolumes(Context ctx, Volumes v) {
    for (String path : CA_CERTS_EXTRA) {
      if (ctx.host().exists(path)) {
        v.add(path.replace('/', '-').substring(1), path, path, true, "DirectoryOrCreate");
      }
    }
  }

  private static String probeAddress(String addr) {
    return addr.equals("0.0.0.0") || addr.equals("::") ? "" : addr;
  }

  // ---- kube-controller-manager ----

  static List<String> controllerManagerCommand(ClusterModel m, HostProbe host) {
    String kubeconfig = kubeconfig(m, "controller-manager.conf");
    String ca = pki(m, "ca.crt");
    List<Arg> d = new ArrayList<>(List.of(
        new Arg("bind-address", "127.0.0.1"),
        new Arg("leader-elect", "true"),
        new Arg("kubeconfig", kubeconfig),
        new Arg("authentication-kubeconfig", kubeconfig),
        new Arg("authorization-kubeconfig", kubeconfig),
        new Arg("client-ca-file", ca),
        new Arg("requestheader-client-ca-file", pki(m, "front-proxy-ca.crt")),
        new Arg("root-ca-file", ca),
        new Arg("service-account-private-key-file", pki(m, "sa.key")),
        new Arg("cluster-signing-cert-file", ca),
        new Arg("cluster-signing-key-file", pki(m, "ca.key")),
        new Arg("use-service-account-credentials", "true"),
        new Arg("controllers", "*,bootstrapsigner,tokencleaner")));
    // external CA mode (ca.crt without ca.key): empty signing files so the csrsigning controller stays off
    if (host.exists(pki(m, "ca.crt")) && !host.exists(pki(m, "ca.key"))) {
      Flags.set(d, "cluster-signing-key-file", "");
      Flags.set(d, "cluster-signing-cert-file", "");
    }
    if (m.podSubnet() != null) {
      Flags.set(d, "allocate-node-cidrs", "true");
      Flags.set(d, "cluster-cidr", m.podSubnet());
      Flags.set(d, "service-cluster-ip-range", m.serviceSubnet());
    }
    Flags.set(d, "cluster-name", m.clusterName());
    return Flags.command("kube-controller-manager", d, m.controllerManager().extraArgs());
  }

  private static Map<String, Object> controllerManager(Context ctx) {
    ClusterModel m = ctx.model();
    Volumes v = new Volumes();
    v.add("k8s-certs", m.certDir().toString(), m.certDir().toString(), true, "DirectoryOrCreate");
    v.add("ca-certs", CA_CERTS, CA_CERTS, true, "DirectoryOrCreate");
    String kubeconfig = kubeconfig(m, "controller-manager.conf");
    v.add("kubeconfig", kubeconfig, kubeconfig, true, "FileOrCreate");
    String flex = m.controllerManager().lastArg("flex-volume-plugin-dir").orElse(FLEXVOLUME_DIR);
    v.add("flexvolume-dir", flex, flex, false, "DirectoryOrCreate");
    addCaExtraVolumes(ctx, v);
    v.addExtra(m.controllerManager().extraVolumes());
    String probeHost = probeAddress(m.controllerManager().lastArg("bind-address").orElse("127.0.0.1"));
    Map<String, Object> c = container(KUBE_CONTROLLER_MANAGER, m, Images.kubernetes("kube-controller-manager", m),
        controllerManagerCommand(m, ctx.host()), v, m.controllerManager().extraEnvs(), ctx);
    c.put("livenessProbe", PodTemplate.liveness(probeHost, "/healthz", "HTTPS"));
    c.put("startupProbe", PodTemplate.startup(probeHost, "/healthz", "HTTPS", m.controlPlaneComponentHealthCheck()));
    c.put("ports", PodTemplate.ports(KCM_PORT));
    return PodTemplate.componentPod(c, v.volumes(), null);
  }

  // ---- kube-scheduler ----

  static List<String> schedulerCommand(ClusterModel m) {
    String kubeconfig = kubeconfig(m, "scheduler.conf");
    List<Arg> d = new ArrayList<>(List.of(
        new Arg("bind-address", "127.0.0.1"),
        new Arg("leader-elect", "true"),
        new Arg("kubeconfig", kubeconfig),
        new Arg("authentication-kubeconfig", kubeconfig),
        new Arg("authorization-kubeconfig", kubeconfig)));
    return Flags.command("kube-scheduler", d, m.scheduler().extraArgs());
  }

  private static Map<String, Object> scheduler(Context ctx) {
    ClusterModel m = ctx.model();
    Volumes v = new Volumes();
    String kubeconfig = kubeconfig(m, "scheduler.conf");
    v.add("kubeconfig", kubeconfig, kubeconfig, true, "FileOrCreate");
    v.addExtra(m.scheduler().extraVolumes());
    String probeHost = probeAddress(m.scheduler().lastArg("bind-address").orElse("127.0.0.1"));
    Map<String, Object> c = container(KUBE_SCHEDULER, m, Images.kubernetes("kube-scheduler", m),
        schedulerCommand(m), v, m.scheduler().extraEnvs(), ctx);
    c.put("livenessProbe", PodTemplate.liveness(probeHost, "/livez", "HTTPS"));
    c.put("readinessProbe", PodTemplate.readiness(probeHost, "/readyz", "HTTPS"));
    c.put("startupProbe", PodTemplate.startup(probeHost, "/livez", "HTTPS", m.controlPlaneComponentHealthCheck()));
    c.put("ports", PodTemplate.ports(SCHEDULER_PORT));
    return PodTemplate.componentPod(c, v.volumes(), null);
  }

  // ---- etcd (phases/etcd/local.go) ----

  static String etcdClientUrl(ClusterModel m) {
    return "https://" + Endpoints.joinHostPort(m.requireAdvertiseAddress(), ETCD_CLIENT_PORT);
  }

  static String etcdPeerUrl(ClusterModel m) {
    return "https://" + Endpoints.joinHostPort(m.requireAdvertiseAddress(), ETCD_PEER_PORT);
  }

  static List<String> etcdCommand(ClusterModel m) {
    String localhost = m.advertiseIpv6() ? "::1" : "127.0.0.1";
    List<Arg> d = new ArrayList<>(List.of(
        new Arg("name", m.nodeName()),
        new Arg("listen-client-urls", "https://" + Endpoints.joinHostPort(localhost, ETCD_CLIENT_PORT) + "," + etcdClientUrl(m)),
        new Arg("advertise-client-urls", etcdClientUrl(m)),
        new Arg("listen-peer-urls", etcdPeerUrl(m)),
        new Arg("initial-advertise-peer-urls", etcdPeerUrl(m)),
        new Arg("data-dir", m.etcd().local().dataDir()),
        new Arg("cert-file", pki(m, "etcd/server.crt")),
        new Arg("key-file", pki(m, "etcd/server.key")),
        new Arg("trusted-ca-file", pki(m, "etcd/ca.crt")),
        new Arg("client-cert-auth", "true"),
        new Arg("peer-cert-file", pki(m, "etcd/peer.crt")),
        new Arg("peer-key-file", pki(m, "etcd/peer.key")),
        new Arg("peer-trusted-ca-file", pki(m, "etcd/ca.crt")),
        new Arg("peer-client-cert-auth", "true"),
        new Arg("snapshot-count", "10000"),
        new Arg("listen-metrics-urls", "http://" + Endpoints.joinHostPort(localhost, ETCD_METRICS_PORT))));
    if (Images.atLeastEtcd36(Images.etcdTag(m))) {
      d.add(new Arg("feature-gates", "InitialCorruptCheck=true"));
      d.add(new Arg("watch-progress-notify-interval", "5s"));
    } else {
      d.add(new Arg("experimental-initial-corrupt-check", "true"));
      d.add(new Arg("experimental-watch-progress-notify-interval", "5s"));
    }
    Flags.set(d, "initial-cluster", m.nodeName() + "=" + etcdPeerUrl(m));
    return Flags.command("etcd", d, m.etcdExtras().extraArgs());
  }

  /** kubeadm's GetEtcdProbeEndpoint: host, port and scheme of the first listen-metrics-urls extra arg, else localhost:2381 over HTTP. */
  record ProbeEndpoint(String host, int port, String scheme) {}

  static ProbeEndpoint etcdProbe(ClusterModel m) {
    String localhost = m.advertiseIpv6() ? "::1" : "127.0.0.1";
    ProbeEndpoint def = new ProbeEndpoint(localhost, ETCD_METRICS_PORT, "HTTP");
    var arg = m.etcdExtras().lastArg("listen-metrics-urls");
    if (arg.isEmpty()) {
      return def;
    }
    try {
      java.net.URI u = new java.net.URI(arg.get().split(",")[0]);
      String scheme = "https".equals(u.getScheme()) ? "HTTPS" : "HTTP";
      String host = u.getHost() == null || u.getHost().isEmpty() ? localhost : u.getHost().replaceAll("^\\[|]$", "");
      int port = u.getPort() > 0 ? u.getPort() : ETCD_METRICS_PORT;
      return new ProbeEndpoint(host, port, scheme);
    } catch (java.net.URISyntaxException e) {
      return def;
    }
  }

  private static Map<String, Object> etcd(Context ctx) {
    ClusterModel m = ctx.model();
    String dataDir = m.etcd().local().dataDir();
    String certs = m.certDir().toString() + "/etcd";
    List<Object> volumes = List.of(Volumes.volume("etcd-certs", certs, "DirectoryOrCreate"),
        Volumes.volume("etcd-data", dataDir, "DirectoryOrCreate"));
    ProbeEndpoint probe = etcdProbe(m);
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("command", etcdCommand(m));
    List<Object> env = PodTemplate.env(m.etcdExtras().extraEnvs());
    if (!env.isEmpty()) {
      c.put("env", env);
    }
    c.put("image", Images.etcd(m));
    c.put("imagePullPolicy", "IfNotPresent");
    c.put("livenessProbe", PodTemplate.liveness(probe.host(), "/livez", probe.scheme()));
    c.put("name", ETCD.name());
    c.put("ports", PodTemplate.ports(probe.port()));
    c.put("readinessProbe", PodTemplate.readiness(probe.host(), "/readyz", probe.scheme()));
    c.put("resources", PodTemplate.resources(ETCD.cpu(), ETCD.memory()));
    c.put("startupProbe", PodTemplate.startup(probe.host(), "/readyz", probe.scheme(), m.controlPlaneComponentHealthCheck()));
    // etcd's mounts keep kubeadm's explicit order (data first), only its volumes come from a sorted map
    c.put("volumeMounts", List.of(Volumes.mount("etcd-data", dataDir, false), Volumes.mount("etcd-certs", certs, false)));
    return PodTemplate.componentPod(c, volumes,
        Map.of("kubeadm.kubernetes.io/etcd.advertise-client-urls", etcdClientUrl(m)));
  }
}
