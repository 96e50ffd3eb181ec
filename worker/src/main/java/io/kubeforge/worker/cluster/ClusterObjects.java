package io.kubeforge.worker.cluster;

import io.kubeforge.worker.config.Arg;
import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.ComponentExtras;
import io.kubeforge.worker.config.Defaults;
import io.kubeforge.worker.config.EnvVar;
import io.kubeforge.worker.config.Endpoints;
import io.kubeforge.worker.config.HostPathMount;
import io.kubeforge.worker.config.KubeYaml;
import io.kubeforge.worker.config.KubeletDefaults;
import io.kubeforge.worker.config.LocalEtcd;
import io.kubeforge.worker.support.GoDuration;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * ClusterObjects renders every object kubeadm v1.34's {@code init} creates once the API server is
 * up (except the bootstrap token Secret and {@code kubeadm-certs}), step by step in kubeadm's
 * order, from the one {@link ClusterModel}. The objects come from the templates under
 * {@code cluster/}; what kubeadm computes (the uploaded ClusterConfiguration, the component
 * configs, the config hash, images, the DNS address) is computed here.
 */
public final class ClusterObjects {
  /** The ConfigMap annotation kubeadm puts on component configs it generated. */
  public static final String HASH_ANNOTATION = "kubeadm.kubernetes.io/component-config.hash";
  /** kubeadm 1.34's CoreDNS version ({@code constants.CoreDNSVersion}). */
  static final String COREDNS_VERSION = "v1.12.1";
  static final String DEFAULT_IMAGE_REPOSITORY = "registry.k8s.io";
  /** kubeadm's default CoreDNS replica count, kept from an existing Deployment otherwise. */
  public static final int DEFAULT_DNS_REPLICAS = 2;

  /** The steps, named as kubeadm's phases, in the order kubeadm init runs them. */
  public enum Step {
    UPLOAD_CONFIG_KUBEADM("upload-config/kubeadm", "upload-config-kubeadm.yaml"),
    UPLOAD_CONFIG_KUBELET("upload-config/kubelet", "upload-config-kubelet.yaml"),
    BOOTSTRAP_TOKEN("bootstrap-token", "bootstrap-token.yaml"),
    ADDON_COREDNS("addon/coredns", "addon-coredns.yaml"),
    ADDON_KUBE_PROXY("addon/kube-proxy", "addon-kube-proxy.yaml");

    private final String phase;
    private final String template;

    Step(String phase, String template) {
      this.phase = phase;
      this.template = template;
    }

    /** kubeadm's phase name, as {@code --skip-phases} takes it. */
    public String phase() {
      return phase;
    }
  }

  /** The objects of one step. */
  public record Rendered(Step step, List<Map<String, Object>> objects) {}

  /**
   * The cluster entry cluster-info publishes: kubeadm copies admin.conf's current cluster.
   *
   * @param server the API server URL
   * @param caPem the CA certificate(s), PEM
   */
  public record AdminCluster(String server, String caPem) {
    /** The entry admin.conf holds for this model: the control-plane endpoint and the given CA. */
    public static AdminCluster of(ClusterModel m, String caPem) {
      return new AdminCluster(Endpoints.controlPlaneUrl(m), caPem);
    }
  }

  private ClusterObjects() {}

  /**
   * Renders the objects of every step not in {@code skip} (kubeadm phase names).
   *
   * @param admin the cluster entry of the admin kubeconfig, published in cluster-info
   * @param dnsReplicas CoreDNS replicas ({@link #DEFAULT_DNS_REPLICAS} unless a Deployment exists)
   * @param environment the process environment: its {@code *_proxy} variables go to kube-proxy's
   *     container, as kubeadm passes on its own
   */
  public static List<Rendered> render(ClusterModel m, AdminCluster admin, Set<String> skip, int dnsReplicas,
                                      Map<String, String> environment) {
    Map<String, Object> v = values(m, admin, dnsReplicas);
    List<Rendered> out = new ArrayList<>();
    for (Step step : Step.values()) {
      if (skip.contains(step.phase)) {
        continue;
      }
      List<Map<String, Object>> objects = Templates.objects(step.template, v);
      if (step == Step.UPLOAD_CONFIG_KUBELET && m.kubeletConfiguration().isEmpty()) {
        sign(objects.get(0));
      } else if (step == Step.ADDON_KUBE_PROXY) {
        if (m.kubeProxyConfiguration().isEmpty()) {
          sign(objects.get(0));
        }
        addProxyEnv(objects.get(1), environment);
      }
      out.add(new Rendered(step, objects));
    }
    return out;
  }

  private static Map<String, Object> values(ClusterModel m, AdminCluster admin, int dnsReplicas) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("Server", admin.server());
    v.put("ControlPlaneEndpoint", Endpoints.controlPlaneUrl(m));
    v.put("CACertData", Base64.getEncoder().encodeToString(admin.caPem().getBytes(StandardCharsets.US_ASCII)));
    v.put("DNSIP", m.clusterDnsIp());
    v.put("DNSDomain", m.dnsDomain());
    v.put("DNSReplicas", dnsReplicas);
    v.put("BindAddress", m.advertiseIpv6() ? "::" : "0.0.0.0");
    v.put("ClusterCIDR", m.podSubnet() == null ? "" : m.podSubnet());
    v.put("ProxyImage", m.imageRepository() + "/kube-proxy:" + m.kubernetesVersion().replace('+', '_'));
    v.put("DNSImage", dnsImage(m));
    v.put("ClusterInfoKubeconfig", KubeYaml.render(Templates.tree("cluster-info-kubeconfig.yaml", v)));
    v.put("ClusterConfiguration", KubeYaml.render(clusterConfiguration(m)));
    v.put("KubeletConfiguration", KubeYaml.render(kubeletConfiguration(m)));
    v.put("ProxyConfig", stripFinalNewline(KubeYaml.render(kubeProxyConfiguration(m, v))));
    v.put("ProxyKubeconfig", stripFinalNewline(Templates.filledText("kube-proxy-kubeconfig.conf", v)));
    v.put("Corefile", Templates.filledText("coredns-corefile", v));
    return v;
  }

  /**
   * kubeadm's {@code images.GetDNSImage}: {@code dns.imageRepository} or the cluster's (the
   * official repository keeps CoreDNS under {@code coredns/}), {@code dns.imageTag} or kubeadm's
   * CoreDNS version.
   */
  static String dnsImage(ClusterModel m) {
    String repo = m.dns().imageRepository().isEmpty() ? m.imageRepository() : m.dns().imageRepository();
    if (DEFAULT_IMAGE_REPOSITORY.equals(repo)) {
      repo = repo + "/coredns";
    }
    String tag = m.dns().imageTag().isEmpty() ? COREDNS_VERSION : m.dns().imageTag();
    return repo + "/coredns:" + tag;
  }

  /**
   * kube-proxy's DaemonSet gets kubeadm's proxy environment ({@code GetProxyEnvVars}, merged and
   * sorted by name) after its {@code NODE_NAME}, as {@code createKubeProxyAddon} appends it.
   */
  @SuppressWarnings("unchecked")
  static void addProxyEnv(Map<String, Object> daemonSet, Map<String, String> environment) {
    Map<String, Object> spec = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) daemonSet
        .get("spec")).get("template")).get("spec");
    Map<String, Object> container = ((List<Map<String, Object>>) spec.get("containers")).get(0);
    List<Object> env = (List<Object>) container.get("env");
    for (EnvVar e : EnvVar.proxyVariables(environment)) {
      env.add(nameValue(e.name(), e.value()));
    }
  }

  /** Adds kubeadm's hash annotation ({@code componentconfigs.SignConfigMap}) to a ConfigMap. */
  @SuppressWarnings("unchecked")
  static void sign(Map<String, Object> configMap) {
    Map<String, Object> meta = (Map<String, Object>) configMap.get("metadata");
    Map<String, Object> annotations = new LinkedHashMap<>();
    annotations.put(HASH_ANNOTATION, checksum((Map<String, Object>) configMap.get("data")));
    Map<String, Object> withAnnotations = new LinkedHashMap<>();
    withAnnotations.put("annotations", annotations);
    withAnnotations.putAll(meta);
    configMap.put("metadata", withAnnotations);
  }

  /** kubeadm's {@code ChecksumForConfigMap}: SHA-256 over the data values in key order. */
  static String checksum(Map<String, Object> data) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (Object value : new TreeMap<>(data).values()) {
        sha.update(String.valueOf(value).getBytes(StandardCharsets.UTF_8));
      }
      return "sha256:" + HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String stripFinalNewline(String s) {
    return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
  }

  /**
   * The uploaded KubeletConfiguration: kubeadm's cluster-wide one ({@link KubeletDefaults}), whose
   * staticPodPath default is kubeadm's constant manifest directory.
   */
  static Map<String, Object> kubeletConfiguration(ClusterModel m) {
    return KubeletDefaults.tree(m, Defaults.MANIFEST_DIR, null);
  }

  /**
   * kube-proxy's {@code config.conf}: the v1alpha1 fields that marshal even when zero, the user's
   * KubeProxyConfiguration over them, then kubeadm's {@code kubeProxyConfig.Default()} where a
   * value is still empty: bindAddress ({@code 0.0.0.0}, {@code ::} for an IPv6 advertise
   * address), clusterCIDR (the pod subnet, when there is one) and clientConnection.kubeconfig.
   */
  @SuppressWarnings("unchecked")
  static Map<String, Object> kubeProxyConfiguration(ClusterModel m, Map<String, Object> v) {
    Map<String, Object> c = Templates.tree("kube-proxy-configuration.yaml", v);
    if (m.kubeProxyConfiguration().isEmpty()) {
      return c;
    }
    overlay(c, m.kubeProxyConfiguration());
    Map<String, Object> defaults = Templates.tree("kube-proxy-configuration.yaml", v);
    for (String key : List.of("bindAddress", "clusterCIDR")) {
      if (c.get(key) == null || c.get(key) == KubeYaml.NULL || "".equals(c.get(key))) {
        c.put(key, defaults.get(key));
      }
    }
    if (c.get("clientConnection") instanceof Map<?, ?> conn
        && (conn.get("kubeconfig") == null || "".equals(conn.get("kubeconfig")))) {
      ((Map<String, Object>) conn).put("kubeconfig",
          ((Map<String, Object>) defaults.get("clientConnection")).get("kubeconfig"));
    }
    return c;
  }

  /** Puts {@code over}'s values into {@code base}, mappings merged key by key; an explicit null is kept as null. */
  @SuppressWarnings("unchecked")
  private static void overlay(Map<String, Object> base, Map<String, ?> over) {
    over.forEach((k, val) -> {
      if (val instanceof Map<?, ?> vm && base.get(k) instanceof Map<?, ?> bm) {
        overlay((Map<String, Object>) bm, (Map<String, Object>) vm);
      } else {
        base.put(k, val == null ? KubeYaml.NULL : val);
      }
    });
  }

  /**
   * The ClusterConfiguration as kubeadm's upload-config marshals it (v1beta4, defaulted, no
   * component configs): JSON field names, omitempty fields left out, keys sorted on output.
   */
  static Map<String, Object> clusterConfiguration(ClusterModel m) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("apiServer", component(m.apiServer(), m.apiServerCertSans()));
    c.put("apiVersion", "kubeadm.k8s.io/v1beta4");
    c.put("caCertificateValidityPeriod", GoDuration.format(m.caCertificateValidity()));
    c.put("certificateValidityPeriod", GoDuration.format(m.certificateValidity()));
    c.put("certificatesDir", m.certDir().toString());
    c.put("clusterName", m.clusterName());
    c.put("controlPlaneEndpoint", m.controlPlaneEndpoint());
    c.put("controllerManager", component(m.controllerManager(), List.of()));
    // omitempty fields: an empty mapping when nothing is set
    Map<String, Object> dns = new LinkedHashMap<>();
    if (m.dns().disabled()) {
      dns.put("disabled", true);
    }
    if (!m.dns().imageRepository().isEmpty()) {
      dns.put("imageRepository", m.dns().imageRepository());
    }
    if (!m.dns().imageTag().isEmpty()) {
      dns.put("imageTag", m.dns().imageTag());
    }
    c.put("dns", dns);
    c.put("encryptionAlgorithm", m.keyAlgorithm());
    c.put("etcd", etcd(m));
    c.put("featureGates", m.featureGates().isEmpty() ? null : new TreeMap<>(m.featureGates()));
    c.put("imageRepository", m.imageRepository());
    c.put("kind", "ClusterConfiguration");
    c.put("kubernetesVersion", m.kubernetesVersion());
    Map<String, Object> net = new LinkedHashMap<>();
    net.put("dnsDomain", m.dnsDomain());
    net.put("podSubnet", m.podSubnet());
    net.put("serviceSubnet", m.serviceSubnet());
    c.put("networking", net);
    c.put("proxy", m.proxyDisabled() ? Map.of("disabled", true) : Map.of());
    c.put("scheduler", component(m.scheduler(), List.of()));
    return c;
  }

  private static Map<String, Object> component(ComponentExtras x, List<String> certSans) {
    Map<String, Object> c = new LinkedHashMap<>();
    if (!certSans.isEmpty()) {
      c.put("certSANs", certSans);
    }
    putExtras(c, x);
    if (!x.extraVolumes().isEmpty()) {
      List<Object> vols = new ArrayList<>();
      for (HostPathMount h : x.extraVolumes()) {
        Map<String, Object> vol = new LinkedHashMap<>();
        vol.put("hostPath", h.hostPath());
        vol.put("mountPath", h.mountPath());
        vol.put("name", h.name());
        vol.put("pathType", h.pathType() == null || h.pathType().isEmpty() ? null : h.pathType());
        vol.put("readOnly", h.readOnly() ? Boolean.TRUE : null);
        vols.add(vol);
      }
      c.put("extraVolumes", vols);
    }
    return c;
  }

  private static void putExtras(Map<String, Object> c, ComponentExtras x) {
    if (!x.extraArgs().isEmpty()) {
      List<Object> args = new ArrayList<>();
      for (Arg a : x.extraArgs()) {
        args.add(nameValue(a.name(), a.value()));
      }
      c.put("extraArgs", args);
    }
    if (!x.extraEnvs().isEmpty()) {
      List<Object> envs = new ArrayList<>();
      for (EnvVar e : x.extraEnvs()) {
        envs.add(nameValue(e.name(), e.value()));
      }
      c.put("extraEnvs", envs);
    }
  }

  private static Map<String, Object> nameValue(String name, String value) {
    Map<String, Object> nv = new LinkedHashMap<>();
    nv.put("name", name);
    nv.put("value", value);
    return nv;
  }

  private static Map<String, Object> etcd(ClusterModel m) {
    Map<String, Object> e = new LinkedHashMap<>();
    if (m.etcd().isExternal()) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("caFile", m.etcd().external().caFile());
      x.put("certFile", m.etcd().external().certFile());
      x.put("endpoints", m.etcd().external().endpoints());
      x.put("keyFile", m.etcd().external().keyFile());
      e.put("external", x);
      return e;
    }
    LocalEtcd l = m.etcd().local();
    Map<String, Object> local = new LinkedHashMap<>();
    local.put("dataDir", l.dataDir());
    putExtras(local, l.extra());
    local.put("imageRepository", emptyToNull(l.imageRepository()));
    local.put("imageTag", emptyToNull(l.imageTag()));
    if (!l.peerCertSans().isEmpty()) {
      local.put("peerCertSANs", l.peerCertSans());
    }
    if (!l.serverCertSans().isEmpty()) {
      local.put("serverCertSANs", l.serverCertSans());
    }
    e.put("local", local);
    return e;
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
