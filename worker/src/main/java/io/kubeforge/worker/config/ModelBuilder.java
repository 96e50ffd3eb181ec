package io.kubeforge.worker.config;

import io.kubeforge.worker.support.DnsNames;
import io.kubeforge.worker.support.GoDuration;
import io.kubeforge.worker.support.IpAddresses;
import io.kubeforge.worker.support.WorkerException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * ModelBuilder collects configuration values from kubeadm YAML and then from options (later
 * writes win), remembers which input field each value came from, and builds a defaulted,
 * validated {@link ClusterModel}. Defaults are kubeadm v1beta4's (defaults.go).
 */
final class ModelBuilder {
  static final String DEFAULT_CERT_DIR = "/etc/kubernetes/pki";
  static final String DEFAULT_KUBECONFIG_DIR = "/etc/kubernetes";
  static final String DEFAULT_MANIFEST_DIR = "/etc/kubernetes/manifests";
  static final String DEFAULT_KUBELET_CONFIG = "/var/lib/kubelet/config.yaml";
  static final String DEFAULT_SERVICE_SUBNET = "10.96.0.0/12";
  static final String DEFAULT_DNS_DOMAIN = "cluster.local";
  static final String DEFAULT_CLUSTER_NAME = "kubernetes";
  static final String DEFAULT_IMAGE_REPOSITORY = "registry.k8s.io";
  static final String DEFAULT_ETCD_DATA_DIR = "/var/lib/etcd";
  static final String DEFAULT_KUBERNETES_VERSION = "v1.34.10";
  static final String DEFAULT_CRI_SOCKET = "unix:///var/run/containerd/containerd.sock";
  static final String DEFAULT_KEY_ALGORITHM = "RSA-2048";
  static final Duration DEFAULT_CERT_VALIDITY = Duration.ofHours(8760);
  static final Duration DEFAULT_CA_VALIDITY = Duration.ofHours(87600);
  static final Duration DEFAULT_HEALTH_CHECK = Duration.ofMinutes(4);
  static final Set<String> KEY_ALGORITHMS = Set.of("RSA-2048", "RSA-3072", "RSA-4096", "ECDSA-P256", "ECDSA-P384");
  static final Set<String> PATH_TYPES = Set.of("", "DirectoryOrCreate", "Directory", "FileOrCreate", "File",
      "Socket", "CharDevice", "BlockDevice");
  private static final Pattern VERSION = Pattern.compile("v?(1)\\.(\\d{1,3})\\.(\\d{1,4})([-+][0-9A-Za-z.+-]{1,64})?");
  private static final Pattern ARG_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final Pattern ENV_NAME = Pattern.compile("[-._a-zA-Z][-._a-zA-Z0-9]{0,255}");
  private static final Pattern IMAGE_REPO = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9._:/-]{0,254}");
  private static final Pattern IMAGE_TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");

  /** A value and the input field it came from. */
  record Value<T>(T value, String field) {}

  final Map<String, Value<?>> values = new HashMap<>();
  final Map<String, List<Arg>> args = new LinkedHashMap<>();
  final Map<String, String> argFields = new HashMap<>();
  final Map<String, List<HostPathMount>> volumes = new HashMap<>();
  final Map<String, String> volumeFields = new HashMap<>();
  final Map<String, List<EnvVar>> envs = new HashMap<>();
  final Map<String, String> envFields = new HashMap<>();
  final Map<String, Boolean> featureGates = new LinkedHashMap<>();
  boolean joinConfiguration;
  Map<?, ?> kubeletConfiguration = Map.of();

  <T> void set(String key, T value, String field) {
    if (value != null) {
      values.put(key, new Value<>(value, field));
    }
  }

  @SuppressWarnings("unchecked")
  <T> T get(String key) {
    Value<?> v = values.get(key);
    return v == null ? null : (T) v.value();
  }

  String field(String key, String fallback) {
    Value<?> v = values.get(key);
    return v == null ? fallback : v.field();
  }

  void setArgs(String component, List<Arg> list, String field) {
    args.put(component, list);
    argFields.put(component, field);
  }

  void setVolumes(String component, List<HostPathMount> list, String field) {
    volumes.put(component, list);
    volumeFields.put(component, field);
  }

  void setEnvs(String component, List<EnvVar> list, String field) {
    envs.put(component, list);
    envFields.put(component, field);
  }

  ClusterModel build() {
    Path certDir = path("certDir", DEFAULT_CERT_DIR, "cert_dir");
    Path kubeconfigDir = path("kubeconfigDir", DEFAULT_KUBECONFIG_DIR, "kubeconfig_dir");
    Path manifestDir = path("manifestDir", DEFAULT_MANIFEST_DIR, "manifest_dir");
    Path kubeletConfig = path("kubeletConfigPath", DEFAULT_KUBELET_CONFIG, "kubelet_config_path");
    Path encryptionConfig = values.containsKey("encryptionConfigPath")
        ? path("encryptionConfigPath", null, "encryption_config_path") : null;

    String nodeName = get("nodeName");
    String nodeField = field("nodeName", "node_name");
    if (nodeName == null) {
      nodeName = Hostname.current();
    }
    if (!DnsNames.isSubdomain(nodeName)) {
      throw WorkerException.badInput(ConfigCodes.INVALID_VALUE, nodeField,
          "'" + nodeName + "' is not a lower-case RFC 1123 name");
    }

    String adv = get("advertiseAddress");
    if (adv != null) {
      adv = ip(adv, field("advertiseAddress", "advertise_address"));
    }
    long port = this.<Number>get("bindPort") == null ? 6443 : this.<Number>get("bindPort").longValue();
    if (port < 1 || port > 65535) {
      throw WorkerException.badInput(ConfigCodes.INVALID_ADDRESS, field("bindPort", "bind_port"),
          port + " is not a valid port (1-65535)");
    }
    String cpe = get("controlPlaneEndpoint");
    if (cpe != null && cpe.isEmpty()) {
      cpe = null;
    }
    if (cpe != null) {
      HostPort.parse(cpe, field("controlPlaneEndpoint", "control_plane_endpoint"));
    }

    String serviceSubnet = cidrs(orDefault("serviceSubnet", DEFAULT_SERVICE_SUBNET),
        field("serviceSubnet", "service_subnet"));
    String podSubnet = get("podSubnet");
    if (podSubnet != null && podSubnet.isEmpty()) {
      podSubnet = null;
    }
    if (podSubnet != null) {
      podSubnet = cidrs(podSubnet, field("podSubnet", "pod_subnet"));
    }
    String dnsDomain = orDefault("dnsDomain", DEFAULT_DNS_DOMAIN);
    if (!DnsNames.isSubdomain(dnsDomain)) {
      throw WorkerException.badInput(ConfigCodes.INVALID_VALUE, field("dnsDomain", "dns_domain"),
          "'" + dnsDomain + "' is not a valid DNS domain");
    }
    String clusterName = orDefault("clusterName", DEFAULT_CLUSTER_NAME);
    if (!clusterName.matches("[A-Za-z0-9][A-Za-z0-9._@:-]{0,252}")) {
      throw WorkerException.badInput(ConfigCodes.INVALID_VALUE, field("clusterName", "cluster_name"),
          "'" + clusterName + "' must be letters, digits, '.', '_', '-', '@' or ':'");
    }
    String version = version(orDefault("kubernetesVersion", DEFAULT_KUBERNETES_VERSION),
        field("kubernetesVersion", "kubernetes_version"));
    String repo = orDefault("imageRepository", DEFAULT_IMAGE_REPOSITORY);
    imageRepo(repo, field("imageRepository", "image_repository"));

    List<String> sans = this.<List<String>>get("certSans") == null ? List.of() : get("certSans");
    String keyAlgorithm = orDefault("keyAlgorithm", DEFAULT_KEY_ALGORITHM);
    if (!KEY_ALGORITHMS.contains(keyAlgorithm)) {
      throw WorkerException.badInput(ConfigCodes.INVALID_VALUE, field("keyAlgorithm", "key_algorithm"),
          "'" + keyAlgorithm + "' is not one of " + String.join(", ", new java.util.TreeSet<>(KEY_ALGORITHMS)));
    }
    Duration validity = duration("certificateValidity", DEFAULT_CERT_VALIDITY, "certificate_validity");
    Duration caValidity = duration("caCertificateValidity", DEFAULT_CA_VALIDITY, "ca_certificate_validity");
    Duration healthCheck = duration("healthCheck", DEFAULT_HEALTH_CHECK, "control_plane_component_health_check");
    duration("discoveryTimeout", Duration.ofMinutes(5), "discovery_timeout");

    EtcdConfig etcd = etcd(certDir);
    String criSocket = orDefault("criSocket", DEFAULT_CRI_SOCKET);
    return new ClusterModel(certDir, kubeconfigDir, manifestDir, kubeletConfig, encryptionConfig,
        nodeName, adv, (int) port, cpe, serviceSubnet, podSubnet, dnsDomain, clusterName, version, repo,
        sans, etcd, keyAlgorithm, validity, caValidity,
        extras("apiServer"), extras("controllerManager"), extras("scheduler"),
        criSocket, healthCheck, featureGates, joinConfiguration, copy(kubeletConfiguration), extras("kubelet").extraArgs());
  }

  private static Map<String, Object> copy(Map<?, ?> raw) {
    Map<String, Object> out = new LinkedHashMap<>();
    raw.forEach((k, v) -> out.put(String.valueOf(k), v));
    return java.util.Collections.unmodifiableMap(out);
  }

  private EtcdConfig etcd(Path certDir) {
    String mode = orDefault("etcdMode", "local");
    if (mode.equals("external")) {
      List<String> endpoints = this.<List<String>>get("etcdEndpoints") == null ? List.of() : get("etcdEndpoints");
      String epField = field("etcdEndpoints", "etcd_external_endpoints");
      if (endpoints.isEmpty()) {
        throw WorkerException.badInput(ConfigCodes.MISSING_FIELD, epField,
            "external etcd needs at least one endpoint URL");
      }
      for (int i = 0; i < endpoints.size(); i++) {
        String ep = endpoints.get(i);
        if (!ep.matches("(?i)https?://.+") || ep.indexOf(',') >= 0 || ep.chars().anyMatch(Character::isWhitespace)) {
          throw WorkerException.badInput(ConfigCodes.INVALID_ADDRESS, epField + "[" + i + "]",
              "'" + ep + "' is not an http(s):// URL");
        }
        String hostPort = ep.replaceFirst("(?i)^https?://", "").replaceFirst("/.*$", "");
        HostPort.parse(hostPort, epField + "[" + i + "]");
      }
      String ca = optionalPath("etcdCaFile", "etcd_external_ca_file");
      String cert = optionalPath("etcdCertFile", "etcd_external_cert_file");
      String key = optionalPath("etcdKeyFile", "etcd_external_key_file");
      if (cert.isEmpty() != key.isEmpty()) {
        throw WorkerException.badInput(ConfigCodes.MISSING_FIELD,
            cert.isEmpty() ? field("etcdKeyFile", "etcd_external_key_file") : field("etcdCertFile", "etcd_external_cert_file"),
            "external etcd client certificate and key must be given together");
      }
      return new EtcdConfig(null, new ExternalEtcd(endpoints, ca, cert, key));
    }
    if (!mode.equals("local")) {
      throw WorkerException.badInput(ConfigCodes.INVALID_VALUE, field("etcdMode", "etcd"),
          "'" + mode + "' must be 'local' or 'external'");
    }
    Path dataDir = path("etcdDataDir", DEFAULT_ETCD_DATA_DIR, "etcd_data_dir");
    String etcdRepo = orDefault("etcdImageRepository", "");
    if (!etcdRepo.isEmpty()) {
      imageRepo(etcdRepo, field("etcdImageRepository", "etcd_image_repository"));
    }
    String etcdTag = orDefault("etcdImageTag", "");
    if (!etcdTag.isEmpty() && !IMAGE_TAG.matcher(etcdTag).matches()) {
      throw WorkerException.badInput(ConfigCodes.INVALID_VALUE, field("etcdImageTag", "etcd_image_tag"),
          "'" + etcdTag + "' is not a valid image tag");
    }
    List<String> serverSans = this.<List<String>>get("etcdServerSans") == null ? List.of() : get("etcdServerSans");
    List<String> peerSans = this.<List<String>>get("etcdPeerSans") == null ? List.of() : get("etcdPeerSans");
    return new EtcdConfig(new LocalEtcd(dataDir.toString(), etcdRepo, etcdTag, extras("etcd"), serverSans, peerSans), null);
  }

  private ComponentExtras extras(String component) {
    List<Arg> a = args.getOrDefault(component, List.of());
    String af = argFields.getOrDefault(component, component + "_extra_args");
    for (int i = 0; i < a.size(); i++) {
      Arg arg = a.get(i);
      if (!ARG_NAME.matcher(arg.name()).matches()) {
        throw WorkerException.badInput(ConfigCodes.INVALID_VALUE, af + "[" + i + "]",
            "'" + arg.name() + "' is not a valid flag name (give it without leading dashes)");
      }
      if (arg.value().indexOf('\n') >= 0 || arg.value().indexOf('\0') >= 0) {
        throw WorkerException.badInput(ConfigCodes.INVALID_VALUE, af + "[" + i + "]",
            "flag values must not contain line breaks or NUL");
      }
    }
    List<HostPathMount> v = volumes.getOrDefault(component, List.of());
    String vf = volumeFields.getOrDefault(component, component + "_extra_volumes");
    for (int i = 0; i < v.size(); i++) {
      HostPathMount m = v.get(i);
      String f = vf + "[" + i + "]";
      if (!DnsNames.isSubdomain(m.name()) || m.name().length() > 63 || m.name().indexOf('.') >= 0) {
        throw WorkerException.badInput(ConfigCodes.INVALID_VALUE, f + ".name", "'" + m.name() + "' is not a DNS label");
      }
      absolute(m.hostPath(), f + ".hostPath");
      absolute(m.mountPath(), f + ".mountPath");
      if (!PATH_TYPES.contains(m.pathType())) {
        throw WorkerException.badInput(ConfigCodes.INVALID_VALUE, f + ".pathType",
            "'" + m.pathType() + "' is not a Kubernetes HostPathType");
      }
    }
    List<EnvVar> e = envs.getOrDefault(component, List.of());
    String ef = envFields.getOrDefault(component, component + "_extra_envs");
    for (int i = 0; i < e.size(); i++) {
      if (!ENV_NAME.matcher(e.get(i).name()).matches()) {
        throw WorkerException.badInput(ConfigCodes.INVALID_VALUE, ef + "[" + i + "].name",
            "'" + e.get(i).name() + "' is not a valid environment variable name");
      }
    }
    return new ComponentExtras(a, v, e);
  }

  private String orDefault(String key, String def) {
    String v = get(key);
    return v == null || v.isEmpty() ? def : v;
  }

  private Path path(String key, String def, String option) {
    String raw = orDefault(key, def);
    return absolute(raw, field(key, option));
  }

  private String optionalPath(String key, String option) {
    String raw = orDefault(key, "");
    return raw.isEmpty() ? "" : absolute(raw, field(key, option)).toString();
  }

  static Path absolute(String raw, String field) {
    if (raw == null || raw.isEmpty() || raw.indexOf('\0') >= 0 || raw.indexOf('\n') >= 0) {
      throw WorkerException.badInput(ConfigCodes.INVALID_PATH, field, "must be a non-empty absolute path");
    }
    Path p = Path.of(raw);
    if (!p.isAbsolute()) {
      throw WorkerException.badInput(ConfigCodes.INVALID_PATH, field, "'" + raw + "' must be an absolute path");
    }
    for (Path part : p) {
      if (part.toString().equals("..")) {
        throw WorkerException.badInput(ConfigCodes.INVALID_PATH, field, "'" + raw + "' must not contain '..'");
      }
    }
    return p.normalize();
  }

  private Duration duration(String key, Duration def, String option) {
    Object raw = get(key);
    if (raw == null) {
      return def;
    }
    String f = field(key, option);
    Duration d;
    try {
      d = GoDuration.parse(String.valueOf(raw));
    } catch (IllegalArgumentException e) {
      throw WorkerException.badInput(ConfigCodes.INVALID_DURATION, f, e.getMessage());
    }
    if (d.isNegative() || d.isZero()) {
      throw WorkerException.badInput(ConfigCodes.INVALID_DURATION, f, "'" + raw + "' must be a positive duration");
    }
    return d;
  }

  static String ip(String text, String field) {
    return IpAddresses.parse(text).map(IpAddresses::format).orElseThrow(() ->
        WorkerException.badInput(ConfigCodes.INVALID_ADDRESS, field, "'" + text + "' is not a valid IP address"));
  }

  /** Validates one CIDR or a dual-stack pair (one IPv4, one IPv6), returns it normalised. */
  static String cidrs(String text, String field) {
    String[] parts = text.split(",", -1);
    if (parts.length > 2) {
      throw WorkerException.badInput(ConfigCodes.INVALID_CIDR, field,
          "'" + text + "' holds more than two CIDRs (at most one IPv4 and one IPv6)");
    }
    List<String> out = new ArrayList<>();
    Boolean firstV6 = null;
    for (String p : parts) {
      String s = p.trim();
      IpAddresses.Cidr c = IpAddresses.Cidr.parse(s).orElseThrow(() ->
          WorkerException.badInput(ConfigCodes.INVALID_CIDR, field, "'" + s + "' is not a valid CIDR"));
      if (firstV6 != null && firstV6 == c.isIpv6()) {
        throw WorkerException.badInput(ConfigCodes.INVALID_CIDR, field,
            "'" + text + "': a dual-stack value needs one IPv4 and one IPv6 CIDR");
      }
      firstV6 = c.isIpv6();
      out.add(s);
    }
    return String.join(",", out);
  }

  static String version(String text, String field) {
    var m = VERSION.matcher(text);
    if (!m.matches()) {
      throw WorkerException.badInput(ConfigCodes.INVALID_VALUE, field,
          "'" + text + "' is not a Kubernetes version such as v1.34.10 (labels such as stable-1 need network access)");
    }
    return text.startsWith("v") ? text : "v" + text;
  }

  static void imageRepo(String repo, String field) {
    if (!IMAGE_REPO.matcher(repo).matches() || repo.endsWith("/")) {
      throw WorkerException.badInput(ConfigCodes.INVALID_VALUE, field, "'" + repo + "' is not a valid image repository");
    }
  }
}
