package io.kubeforge.worker.config;

import io.kubeforge.worker.support.WorkerException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * KubeadmConfigReader reads kubeadm's own configuration documents into a {@link ModelBuilder}:
 * {@code InitConfiguration}, {@code ClusterConfiguration} and {@code JoinConfiguration} of
 * {@code kubeadm.k8s.io/v1beta4}, and of {@code v1beta3} converted as kubeadm converts them
 * (map-valued {@code extraArgs} become name-sorted lists, {@code apiServer.timeoutForControlPlane}
 * and {@code discovery.timeout} move to {@code timeouts}). Decoding is strict: a field the
 * schema of that version does not have is an error naming its path. A
 * {@code KubeletConfiguration} document is kept for the kubelet phase and the upload, a
 * {@code KubeProxyConfiguration} ({@code kubeproxy.config.k8s.io/v1alpha1}), decoded strictly as well
 * ({@link KubeProxySchema}), for kube-proxy's ConfigMap.
 */
final class KubeadmConfigReader {
  static final String V1BETA4 = "kubeadm.k8s.io/v1beta4";
  static final String V1BETA3 = "kubeadm.k8s.io/v1beta3";

  private KubeadmConfigReader() {}

  static void read(String yaml, String field, ModelBuilder b) {
    List<Object> docs = SafeYaml.loadAll(yaml, field);
    boolean init = false;
    boolean join = false;
    Set<String> seen = new java.util.HashSet<>();
    for (int i = 0; i < docs.size(); i++) {
      YamlNode doc = YamlNode.of(docs.get(i), field + "[" + i + "]");
      String apiVersion = doc.string("apiVersion");
      String kind = doc.string("kind");
      if (apiVersion == null || kind == null) {
        throw WorkerException.badInput(ConfigCodes.UNSUPPORTED_KIND, doc.path(),
            "every document needs apiVersion and kind");
      }
      if (!seen.add(kind)) {
        throw WorkerException.badInput(ConfigCodes.UNSUPPORTED_KIND, doc.path(), "a second " + kind + " document");
      }
      boolean beta4 = apiVersion.equals(V1BETA4);
      if (!beta4 && !apiVersion.equals(V1BETA3)) {
        if (kind.equals("KubeletConfiguration") && apiVersion.equals("kubelet.config.k8s.io/v1beta1")) {
          b.kubeletConfiguration = doc.raw();
          continue;
        }
        if (kind.equals("KubeProxyConfiguration") && apiVersion.equals("kubeproxy.config.k8s.io/v1alpha1")) {
          KubeProxySchema.check(doc);
          b.kubeProxyConfiguration = doc.raw();
          continue;
        }
        throw WorkerException.badInput(ConfigCodes.UNSUPPORTED_KIND, doc.path() + ".apiVersion",
            "'" + apiVersion + "' " + kind + " is not supported (kubeadm.k8s.io/v1beta4 or v1beta3)");
      }
      YamlNode d = YamlNode.of(doc.raw(), kind);
      switch (kind) {
        case "InitConfiguration" -> {
          init = true;
          readInit(d, beta4, b);
        }
        case "ClusterConfiguration" -> readCluster(d, beta4, b);
        case "JoinConfiguration" -> {
          join = true;
          readJoin(d, beta4, b);
        }
        case "ResetConfiguration", "UpgradeConfiguration" -> {
          if (!beta4) {
            throw WorkerException.badInput(ConfigCodes.UNSUPPORTED_KIND, doc.path(), kind + " needs v1beta4");
          }
        }
        default -> throw WorkerException.badInput(ConfigCodes.UNSUPPORTED_KIND, doc.path() + ".kind",
            "'" + kind + "' is not a kubeadm configuration kind");
      }
    }
    if (init && join) {
      throw WorkerException.badInput(ConfigCodes.UNSUPPORTED_KIND, field,
          "holds both an InitConfiguration and a JoinConfiguration");
    }
    b.joinConfiguration = join;
  }

  private static void readInit(YamlNode d, boolean beta4, ModelBuilder b) {
    Set<String> keys = new java.util.HashSet<>(Set.of("apiVersion", "kind", "bootstrapTokens", "nodeRegistration",
        "localAPIEndpoint", "certificateKey", "skipPhases", "patches"));
    if (beta4) {
      keys.addAll(Set.of("dryRun", "timeouts"));
    }
    d.allowOnly(keys);
    readNodeRegistration(d.node("nodeRegistration"), beta4, b);
    readEndpoint(d.node("localAPIEndpoint"), b);
    if (d.node("patches") != null) {
      d.node("patches").allowOnly(Set.of("directory"));
    }
    if (beta4 && d.node("timeouts") != null) {
      readTimeouts(d.node("timeouts"), b);
    }
    if (d.has("bootstrapTokens")) {
      b.bootstrapTokens = readBootstrapTokens(d.nodes("bootstrapTokens"));
    }
    List<String> skip = d.strings("skipPhases");
    if (skip != null) {
      b.skipPhases = skip;
    }
  }

  private static final java.util.regex.Pattern TOKEN = java.util.regex.Pattern.compile("[a-z0-9]{6}\\.[a-z0-9]{16}");

  /**
   * {@code bootstrapTokens}, decoded and defaulted as kubeadm v1beta4 does: an empty token is
   * generated later, a malformed one refused; {@code ttl} defaults to 24h, so {@code expires} is
   * always refused (kubeadm: "the BootstrapToken .TTL and .Expires fields are mutually
   * exclusive"); empty {@code usages}/{@code groups} take kubeadm's defaults. Beyond kubeadm, which
   * lets a later entry overwrite an earlier one of the same token id, a repeated id is refused.
   */
  private static List<BootstrapTokenConfig> readBootstrapTokens(List<YamlNode> items) {
    List<BootstrapTokenConfig> out = new ArrayList<>();
    Map<String, String> ids = new java.util.HashMap<>();
    for (YamlNode t : items) {
      t.allowOnly(Set.of("token", "description", "ttl", "expires", "usages", "groups"));
      String token = t.string("token");
      if (token != null && !token.isEmpty() && !TOKEN.matcher(token).matches()) {
        throw WorkerException.badInput(ConfigCodes.INVALID_VALUE, t.child("token"),
            "the bootstrap token was not of the form [a-z0-9]{6}.[a-z0-9]{16}");
      }
      if (token != null && !token.isEmpty()) {
        String id = token.substring(0, 6);
        String first = ids.putIfAbsent(id, t.path());
        if (first != null) {
          throw WorkerException.badInput(ConfigCodes.INVALID_VALUE, t.child("token"),
              "repeats the token id '" + id + "' of " + first + ": both would be the one Secret bootstrap-token-"
                  + id + ", the later silently replacing the earlier");
        }
      }
      java.time.Duration ttl = BootstrapTokenConfig.DEFAULT_TTL;
      String ttlText = t.string("ttl");
      if (ttlText != null) {
        checkDuration(ttlText, t.child("ttl"));
        ttl = io.kubeforge.worker.support.GoDuration.parse(ttlText);
        if (ttl.isNegative()) {
          throw WorkerException.badInput(ConfigCodes.INVALID_DURATION, t.child("ttl"),
              "'" + ttlText + "' must not be negative (0 means never expires)");
        }
      }
      if (t.has("expires")) {
        throw WorkerException.badInput(ConfigCodes.INVALID_VALUE, t.child("expires"),
            "the BootstrapToken .TTL and .Expires fields are mutually exclusive (kubeadm defaults ttl to 24h)");
      }
      List<String> usages = t.strings("usages");
      List<String> groups = t.strings("groups");
      String description = t.string("description");
      out.add(new BootstrapTokenConfig(token == null || token.isEmpty() ? null : token,
          description == null ? "" : description, ttl,
          usages == null || usages.isEmpty() ? BootstrapTokenConfig.DEFAULT_USAGES : usages,
          groups == null || groups.isEmpty() ? BootstrapTokenConfig.DEFAULT_GROUPS : groups, t.path()));
    }
    return out;
  }

  private static void readJoin(YamlNode d, boolean beta4, ModelBuilder b) {
    Set<String> keys = new java.util.HashSet<>(Set.of("apiVersion", "kind", "nodeRegistration", "caCertPath",
        "discovery", "controlPlane", "skipPhases", "patches"));
    if (beta4) {
      keys.addAll(Set.of("dryRun", "timeouts"));
    }
    d.allowOnly(keys);
    readNodeRegistration(d.node("nodeRegistration"), beta4, b);
    YamlNode cp = d.node("controlPlane");
    if (cp != null) {
      cp.allowOnly(Set.of("localAPIEndpoint", "certificateKey"));
      readEndpoint(cp.node("localAPIEndpoint"), b);
    }
    YamlNode disc = d.node("discovery");
    if (disc != null) {
      Set<String> dk = new java.util.HashSet<>(Set.of("bootstrapToken", "file", "tlsBootstrapToken"));
      if (!beta4) {
        dk.add("timeout");
      }
      disc.allowOnly(dk);
      if (disc.node("bootstrapToken") != null) {
        disc.node("bootstrapToken").allowOnly(Set.of("token", "apiServerEndpoint", "caCertHashes",
            "unsafeSkipCAVerification"));
      }
      if (disc.node("file") != null) {
        disc.node("file").allowOnly(Set.of("kubeConfigPath"));
      }
      if (!beta4 && disc.string("timeout") != null) {
        b.set("discoveryTimeout", disc.string("timeout"), disc.child("timeout"));
      }
    }
    if (beta4 && d.node("timeouts") != null) {
      readTimeouts(d.node("timeouts"), b);
    }
  }

  private static void readTimeouts(YamlNode t, ModelBuilder b) {
    t.allowOnly(Set.of("controlPlaneComponentHealthCheck", "kubeletHealthCheck", "kubernetesAPICall",
        "etcdAPICall", "tlsBootstrap", "discovery", "upgradeManifests"));
    for (String k : List.of("kubeletHealthCheck", "kubernetesAPICall", "etcdAPICall", "tlsBootstrap",
        "discovery", "upgradeManifests")) {
      String v = t.string(k);
      if (v != null) {
        checkDuration(v, t.child(k));
      }
    }
    b.set("healthCheck", t.string("controlPlaneComponentHealthCheck"), t.child("controlPlaneComponentHealthCheck"));
  }

  private static void checkDuration(String v, String field) {
    try {
      io.kubeforge.worker.support.GoDuration.parse(v);
    } catch (IllegalArgumentException e) {
      throw WorkerException.badInput(ConfigCodes.INVALID_DURATION, field, e.getMessage());
    }
  }

  private static void readNodeRegistration(YamlNode n, boolean beta4, ModelBuilder b) {
    if (n == null) {
      return;
    }
    Set<String> keys = new java.util.HashSet<>(Set.of("name", "criSocket", "taints", "kubeletExtraArgs",
        "ignorePreflightErrors", "imagePullPolicy"));
    if (beta4) {
      keys.add("imagePullSerial");
    }
    n.allowOnly(keys);
    b.set("nodeName", n.string("name"), n.child("name"));
    b.set("criSocket", n.string("criSocket"), n.child("criSocket"));
    b.set("ignorePreflightErrors", n.strings("ignorePreflightErrors"), n.child("ignorePreflightErrors"));
    if (n.has("kubeletExtraArgs")) {
      List<Arg> args = new ArrayList<>();
      if (beta4) {
        args = readArgList(n, "kubeletExtraArgs");
      } else {
        for (Map.Entry<String, String> e : n.stringMap("kubeletExtraArgs").entrySet()) {
          args.add(new Arg(e.getKey(), e.getValue()));
        }
      }
      b.setArgs("kubelet", args, n.child("kubeletExtraArgs"));
    }
    if (n.raw().containsKey("taints")) {
      // `taints: []` means no taint; `taints:` (null) is unset, as Go decodes it to a nil slice
      List<NodeTaint> t = NodeTaint.parseList(n.raw().get("taints"), n.child("taints"));
      if (t != null) {
        b.taints = t;
      }
    }
  }

  private static void readEndpoint(YamlNode e, ModelBuilder b) {
    if (e == null) {
      return;
    }
    e.allowOnly(Set.of("advertiseAddress", "bindPort"));
    b.set("advertiseAddress", e.string("advertiseAddress"), e.child("advertiseAddress"));
    b.set("bindPort", e.integer("bindPort"), e.child("bindPort"));
  }

  private static void readCluster(YamlNode d, boolean beta4, ModelBuilder b) {
    Set<String> keys = new java.util.HashSet<>(Set.of("apiVersion", "kind", "etcd", "networking",
        "kubernetesVersion", "controlPlaneEndpoint", "apiServer", "controllerManager", "scheduler", "dns",
        "certificatesDir", "imageRepository", "featureGates", "clusterName"));
    if (beta4) {
      keys.addAll(Set.of("proxy", "encryptionAlgorithm", "certificateValidityPeriod", "caCertificateValidityPeriod"));
    }
    d.allowOnly(keys);
    b.set("kubernetesVersion", d.string("kubernetesVersion"), d.child("kubernetesVersion"));
    b.set("controlPlaneEndpoint", d.string("controlPlaneEndpoint"), d.child("controlPlaneEndpoint"));
    b.set("certDir", d.string("certificatesDir"), d.child("certificatesDir"));
    b.set("imageRepository", d.string("imageRepository"), d.child("imageRepository"));
    b.set("clusterName", d.string("clusterName"), d.child("clusterName"));
    if (beta4) {
      b.set("keyAlgorithm", d.string("encryptionAlgorithm"), d.child("encryptionAlgorithm"));
      b.set("certificateValidity", d.string("certificateValidityPeriod"), d.child("certificateValidityPeriod"));
      b.set("caCertificateValidity", d.string("caCertificateValidityPeriod"), d.child("caCertificateValidityPeriod"));
      YamlNode proxy = d.node("proxy");
      if (proxy != null) {
        proxy.allowOnly(Set.of("disabled"));
        b.proxyDisabled = Boolean.TRUE.equals(proxy.bool("disabled"));
      }
    }
    YamlNode gates = d.node("featureGates");
    if (gates != null) {
      for (Map.Entry<?, ?> e : gates.raw().entrySet()) {
        if (!(e.getValue() instanceof Boolean v)) {
          throw WorkerException.badInput(ConfigCodes.WRONG_TYPE, gates.child(String.valueOf(e.getKey())), "must be a boolean");
        }
        b.featureGates.put(String.valueOf(e.getKey()), v);
      }
    }
    YamlNode net = d.node("networking");
    if (net != null) {
      net.allowOnly(Set.of("serviceSubnet", "podSubnet", "dnsDomain"));
      b.set("serviceSubnet", net.string("serviceSubnet"), net.child("serviceSubnet"));
      b.set("podSubnet", net.string("podSubnet"), net.child("podSubnet"));
      b.set("dnsDomain", net.string("dnsDomain"), net.child("dnsDomain"));
    }
    YamlNode dns = d.node("dns");
    if (dns != null) {
      dns.allowOnly(beta4 ? Set.of("imageRepository", "imageTag", "disabled") : Set.of("imageRepository", "imageTag"));
      b.set("dnsImageRepository", dns.string("imageRepository"), dns.child("imageRepository"));
      b.set("dnsImageTag", dns.string("imageTag"), dns.child("imageTag"));
      b.dnsDisabled = beta4 && Boolean.TRUE.equals(dns.bool("disabled"));
    }
    YamlNode api = d.node("apiServer");
    if (api != null) {
      Set<String> ak = new java.util.HashSet<>(Set.of("extraArgs", "extraVolumes", "certSANs"));
      ak.add(beta4 ? "extraEnvs" : "timeoutForControlPlane");
      api.allowOnly(ak);
      readComponent(api, "apiServer", beta4, b);
      b.set("certSans", api.strings("certSANs"), api.child("certSANs"));
      if (!beta4) {
        b.set("healthCheck", api.string("timeoutForControlPlane"), api.child("timeoutForControlPlane"));
      }
    }
    for (String c : List.of("controllerManager", "scheduler")) {
      YamlNode n = d.node(c);
      if (n != null) {
        n.allowOnly(beta4 ? Set.of("extraArgs", "extraVolumes", "extraEnvs") : Set.of("extraArgs", "extraVolumes"));
        readComponent(n, c, beta4, b);
      }
    }
    readEtcd(d.node("etcd"), beta4, b);
  }

  private static void readEtcd(YamlNode etcd, boolean beta4, ModelBuilder b) {
    if (etcd == null) {
      return;
    }
    etcd.allowOnly(Set.of("local", "external"));
    YamlNode local = etcd.node("local");
    YamlNode external = etcd.node("external");
    if (local != null && external != null) {
      throw WorkerException.badInput(ConfigCodes.INVALID_VALUE, etcd.path(),
          "local and external are mutually exclusive");
    }
    if (external != null) {
      external.allowOnly(Set.of("endpoints", "caFile", "certFile", "keyFile"));
      b.set("etcdMode", "external", etcd.child("external"));
      b.set("etcdEndpoints", external.strings("endpoints"), external.child("endpoints"));
      b.set("etcdCaFile", external.string("caFile"), external.child("caFile"));
      b.set("etcdCertFile", external.string("certFile"), external.child("certFile"));
      b.set("etcdKeyFile", external.string("keyFile"), external.child("keyFile"));
      return;
    }
    if (local != null) {
      local.allowOnly(beta4
          ? Set.of("imageRepository", "imageTag", "dataDir", "extraArgs", "extraEnvs", "serverCertSANs", "peerCertSANs")
          : Set.of("imageRepository", "imageTag", "dataDir", "extraArgs", "serverCertSANs", "peerCertSANs"));
      b.set("etcdMode", "local", etcd.child("local"));
      b.set("etcdDataDir", local.string("dataDir"), local.child("dataDir"));
      b.set("etcdImageRepository", local.string("imageRepository"), local.child("imageRepository"));
      b.set("etcdImageTag", local.string("imageTag"), local.child("imageTag"));
      b.set("etcdServerSans", local.strings("serverCertSANs"), local.child("serverCertSANs"));
      b.set("etcdPeerSans", local.strings("peerCertSANs"), local.child("peerCertSANs"));
      readArgsAndEnvs(local, "etcd", beta4, b);
    }
  }

  private static void readComponent(YamlNode n, String component, boolean beta4, ModelBuilder b) {
    readArgsAndEnvs(n, component, beta4, b);
    List<YamlNode> vols = n.nodes("extraVolumes");
    if (vols != null) {
      List<HostPathMount> out = new ArrayList<>();
      for (YamlNode v : vols) {
        v.allowOnly(Set.of("name", "hostPath", "mountPath", "readOnly", "pathType"));
        out.add(new HostPathMount(req(v, "name"), req(v, "hostPath"), req(v, "mountPath"),
            Boolean.TRUE.equals(v.bool("readOnly")), v.string("pathType") == null ? "" : v.string("pathType")));
      }
      b.setVolumes(component, out, n.child("extraVolumes"));
    }
  }

  private static void readArgsAndEnvs(YamlNode n, String component, boolean beta4, ModelBuilder b) {
    if (n.has("extraArgs")) {
      List<Arg> args;
      if (beta4) {
        args = readArgList(n, "extraArgs");
      } else {
        // v1beta3 → v1beta4 conversion (convertToArgs): map entries sorted by name
        args = new ArrayList<>();
        for (Map.Entry<String, String> e : n.stringMap("extraArgs").entrySet()) {
          args.add(new Arg(e.getKey(), e.getValue()));
        }
      }
      b.setArgs(component, args, n.child("extraArgs"));
    }
    if (beta4 && n.has("extraEnvs")) {
      List<EnvVar> envs = new ArrayList<>();
      for (YamlNode e : n.nodes("extraEnvs")) {
        e.allowOnly(Set.of("name", "value", "valueFrom"));
        if (e.has("valueFrom")) {
          throw WorkerException.badInput(ConfigCodes.INVALID_VALUE, e.child("valueFrom"),
              "valueFrom is not supported for static Pods; give a literal value");
        }
        envs.add(new EnvVar(req(e, "name"), e.string("value") == null ? "" : e.string("value")));
      }
      b.setEnvs(component, envs, n.child("extraEnvs"));
    }
  }

  private static List<Arg> readArgList(YamlNode n, String key) {
    List<YamlNode> items = n.nodes(key);
    List<Arg> out = new ArrayList<>();
    if (items == null) {
      return out;
    }
    for (YamlNode a : items) {
      a.allowOnly(Set.of("name", "value"));
      out.add(new Arg(req(a, "name"), a.string("value") == null ? "" : a.string("value")));
    }
    return out;
  }

  private static String req(YamlNode n, String key) {
    String v = n.string(key);
    if (v == null || v.isEmpty()) {
      throw WorkerException.badInput(ConfigCodes.MISSING_FIELD, n.child(key), "is required");
    }
    return v;
  }
}
