package io.kubeforge.worker.manifests;

import io.kubeforge.worker.config.Arg;
import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.ComponentExtras;
import io.kubeforge.worker.config.Endpoints;
import io.kubeforge.worker.config.EnvVar;
import io.kubeforge.worker.config.ExternalEtcd;
import io.kubeforge.worker.config.Flags;
import io.kubeforge.worker.config.HostProbe;
import io.kubeforge.worker.config.SafeYaml;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ComponentCatalog describes the control-plane static Pods kubeadm v1.34 writes: the data
 * (requests, probe ports, default flags with placeholders, and the conditional flags of external
 * etcd, encryption, pod subnet, external CA and etcd 3.6 under a small condition vocabulary) is
 * {@code manifests/components.yaml}, read once; this class resolves it against the model and
 * adds the volumes and probes, one
 * {@link ComponentSpec} per component, and {@link #render} turns a model into Pod trees. Flags are built
 * from a default list merged with the user's extra flags by {@link Flags#command}; no string
 * templates.
 */
public final class ComponentCatalog {
  /** The per-component data: requests, probe ports, default flags ({@code manifests/components.yaml}). */
  private static final Map<String, Map<String, Object>> DATA = load();
  /** Ports and paths kubeadm uses. */
  static final int KCM_PORT = port("kube-controller-manager");
  static final int SCHEDULER_PORT = port("kube-scheduler");
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

  /**
   * Context passes the model, the host probe, a sink for warnings and, for a member joining a
   * stacked etcd cluster, its {@code --initial-cluster} value (null otherwise) to a spec.
   */
  public record Context(ClusterModel model, HostProbe host, List<String> warnings, String etcdInitialCluster) {}

  public static final ComponentSpec KUBE_APISERVER = spec("kube-apiserver", ComponentCatalog::apiServer);
  public static final ComponentSpec KUBE_CONTROLLER_MANAGER = spec("kube-controller-manager", ComponentCatalog::controllerManager);
  public static final ComponentSpec KUBE_SCHEDULER = spec("kube-scheduler", ComponentCatalog::scheduler);
  public static final ComponentSpec ETCD = spec("etcd", ComponentCatalog::etcd);
  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{(?:(pki|kubeconfig):)?([A-Za-z0-9./-]+)}");

  private ComponentCatalog() {}

  @SuppressWarnings("unchecked")
  private static Map<String, Map<String, Object>> load() {
    try (var in = ComponentCatalog.class.getResourceAsStream("/manifests/components.yaml")) {
      return (Map<String, Map<String, Object>>) SafeYaml.load(
          new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8), "components.yaml");
    } catch (java.io.IOException | NullPointerException e) {
      throw new IllegalStateException("the component catalog manifests/components.yaml is missing from the jar", e);
    }
  }

  private static ComponentSpec spec(String name, Function<Context, Map<String, Object>> build) {
    Map<String, Object> d = DATA.get(name);
    return new ComponentSpec(name, (String) d.get("cpu"), (String) d.get("memory"), build);
  }

  private static int port(String component) {
    return ((Number) DATA.get(component).get("port")).intValue();
  }

  /**
   * Returns a component's flags from the data, placeholders resolved: the default {@code flags},
   * then every {@code when} entry whose conditions hold (see components.yaml), each setting its
   * flags in order. {@code ${pki:F}} and {@code ${kubeconfig:F}} are files under the model's
   * directories, {@code ${name}} is one of {@code values}, computed only when used.
   */
  @SuppressWarnings("unchecked")
  static List<Arg> flags(String component, ClusterModel m, HostProbe host, Values values) {
    Map<String, Object> data = DATA.get(component);
    List<Arg> out = new ArrayList<>();
    ((Map<String, Object>) data.get("flags")).forEach((name, raw) ->
        out.add(new Arg(name, resolve(component, name, raw, m, values))));
    for (Map<String, Object> when : (List<Map<String, Object>>) data.getOrDefault("when", List.of())) {
      List<String> conditions = (List<String>) when.getOrDefault("if", List.of());
      if (conditions.stream().allMatch(c -> holds(component, c, m, host, values))) {
        ((Map<String, Object>) when.get("flags")).forEach((name, raw) ->
            Flags.set(out, name, resolve(component, name, raw, m, values)));
      }
    }
    return out;
  }

  private static String resolve(String component, String flag, Object raw, ClusterModel m,
                                Values values) {
    Matcher x = PLACEHOLDER.matcher(String.valueOf(raw));
    StringBuilder value = new StringBuilder();
    while (x.find()) {
      Supplier<String> named = values.get(x.group(2));
      String v = x.group(1) == null ? (named == null ? null : named.get())
          : x.group(1).equals("pki") ? pki(m, x.group(2)) : kubeconfig(m, x.group(2));
      if (v == null) {
        throw new IllegalStateException("components.yaml: " + component + " flag " + flag + " uses unknown " + x.group());
      }
      x.appendReplacement(value, Matcher.quoteReplacement(v));
    }
    x.appendTail(value);
    return value.toString();
  }

  /** Evaluates one condition of components.yaml's vocabulary. */
  private static boolean holds(String component, String condition, ClusterModel m, HostProbe host,
                               Values values) {
    if (condition.startsWith("!")) {
      return !holds(component, condition.substring(1), m, host, values);
    }
    String[] p = condition.split(":", 3);
    return switch (p[0]) {
      case "externalEtcd" -> m.etcd().isExternal();
      case "localEtcd" -> !m.etcd().isExternal();
      case "encryptionConfig" -> m.encryptionConfigPath() != null;
      case "podSubnet" -> m.podSubnet() != null;
      case "externalCa" -> host.exists(pki(m, "ca.crt")) && !host.exists(pki(m, "ca.key"));
      case "etcd36" -> Images.atLeastEtcd36(Images.etcdTag(m));
      case "value" -> p.length == 2 && values.get(p[1]) != null && !values.get(p[1]).get().isEmpty();
      case "extraArg" -> p.length == 3 && extras(m, p[1]).lastArg(p[2]).isPresent();
      default -> throw new IllegalStateException("components.yaml: " + component + " uses unknown condition " + condition);
    };
  }

  private static ComponentExtras extras(ClusterModel m, String component) {
    return switch (component) {
      case "apiServer" -> m.apiServer();
      case "controllerManager" -> m.controllerManager();
      case "scheduler" -> m.scheduler();
      case "etcd" -> m.etcdExtras();
      default -> throw new IllegalStateException("components.yaml: unknown component " + component + " in extraArg");
    };
  }

  /** Values are the placeholder values of one component, each computed only when a flag uses it. */
  static final class Values {
    private final Map<String, Supplier<String>> byName = new HashMap<>();

    Values with(String name, Supplier<String> value) {
      byName.put(name, value);
      return this;
    }

    Supplier<String> get(String name) {
      return byName.get(name);
    }
  }


  /**
   * Lists the components the model needs, in kubeadm's order; etcd only for local etcd of an
   * initialising node (a joining member's etcd needs the live member list, which kubeadm join
   * gets by adding the member as a learner first: {@link #forJoiningEtcd}).
   */
  public static List<ComponentSpec> forModel(ClusterModel m) {
    return m.etcd().isExternal() || m.joinConfiguration()
        ? List.of(KUBE_APISERVER, KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER)
        : List.of(ETCD, KUBE_APISERVER, KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER);
  }

  /** The components of a control plane whose local etcd member joins an existing cluster. */
  public static List<ComponentSpec> forJoiningEtcd() {
    return List.of(ETCD, KUBE_APISERVER, KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER);
  }

  /** Renders every needed Pod as a JSON-shaped tree, keyed by component name (catalog order). */
  public static Map<String, Map<String, Object>> render(ClusterModel m, HostProbe host, List<String> warnings) {
    return render(m, host, warnings, null);
  }

  /**
   * Renders every needed Pod; with {@code etcdInitialCluster} (kubeadm's {@code name=peerURL,...}
   * of the members after this one was added) the etcd member joins the existing cluster:
   * {@code --initial-cluster} lists them and {@code --initial-cluster-state=existing}.
   */
  public static Map<String, Map<String, Object>> render(ClusterModel m, HostProbe host, List<String> warnings,
                                                        String etcdInitialCluster) {
    m.requireAdvertiseAddress();
    Context ctx = new Context(m, host, warnings, etcdInitialCluster);
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    for (ComponentSpec spec : etcdInitialCluster == null ? forModel(m) : forJoiningEtcd()) {
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
    ExternalEtcd ext = m.etcd().external();
    String localhost = m.advertiseIpv6() ? "::1" : "127.0.0.1";
    ComponentExtras extra = m.apiServer();
    List<Arg> d = flags("kube-apiserver", m, null, new Values()
        .with("advertiseAddress", m::requireAdvertiseAddress)
        .with("serviceSubnet", m::serviceSubnet)
        .with("dnsDomain", m::dnsDomain)
        .with("bindPort", () -> Integer.toString(m.bindPort()))
        .with("etcdExternalEndpoints", () -> String.join(",", ext.endpoints()))
        .with("etcdCaFile", () -> ext.caFile())
        .with("etcdCertFile", () -> ext.certFile())
        .with("etcdKeyFile", () -> ext.keyFile())
        .with("etcdLocalServers", () -> "https://" + Endpoints.joinHostPort(localhost, ETCD_CLIENT_PORT))
        .with("etcdAdvertiseClientUrls", () -> m.etcdExtras().lastArg("advertise-client-urls").orElseThrow())
        .with("encryptionConfigPath", () -> m.encryptionConfigPath().toString())
        .with("authorizationModes", () -> authzModes(extra.lastArg("authorization-mode").orElse(""), warnings)));
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
    List<Arg> d = flags("kube-controller-manager", m, host, new Values()
        .with("podSubnet", m::podSubnet)
        .with("serviceSubnet", m::serviceSubnet)
        .with("clusterName", m::clusterName));
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
    List<Arg> d = flags("kube-scheduler", m, null, new Values());
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

  /** kubeadm's {@code etcdutil.GetPeerURL}: this member's peer URL on the advertise address. */
  public static String etcdPeerUrl(ClusterModel m) {
    return "https://" + Endpoints.joinHostPort(m.requireAdvertiseAddress(), ETCD_PEER_PORT);
  }

  static List<String> etcdCommand(ClusterModel m) {
    return etcdCommand(m, null);
  }

  static List<String> etcdCommand(ClusterModel m, String initialCluster) {
    String localhost = m.advertiseIpv6() ? "::1" : "127.0.0.1";
    List<Arg> d = flags("etcd", m, null, new Values()
        .with("nodeName", m::nodeName)
        .with("etcdLocalClientUrl", () -> "https://" + Endpoints.joinHostPort(localhost, ETCD_CLIENT_PORT))
        .with("etcdClientUrl", () -> etcdClientUrl(m))
        .with("etcdPeerUrl", () -> etcdPeerUrl(m))
        .with("etcdDataDir", () -> m.etcd().local().dataDir())
        .with("etcdMetricsUrl", () -> "http://" + Endpoints.joinHostPort(localhost, ETCD_METRICS_PORT))
        .with("etcdInitialCluster", () -> initialCluster == null ? "" : initialCluster));
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
    c.put("command", etcdCommand(m, ctx.etcdInitialCluster()));
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
