package io.kubeforge.worker.config;

import io.kubeforge.worker.pki.AltNames;
import io.kubeforge.worker.pki.KeyAlgorithm;
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
  Map<?, ?> kubeProxyConfiguration = Map.of();
  /** {@code nodeRegistration.taints}; null when not given (kubeadm's default applies). */
  List<NodeTaint> taints;
  boolean dnsDisabled;
  boolean proxyDisabled;
  List<String> skipPhases = List.of();
  List<BootstrapTokenConfig> bootstrapTokens = List.of();

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
    Path certDir = directory("certDir", Defaults.CERT_DIR, "cert_dir");
    Path kubeconfigDir = directory("kubeconfigDir", Defaults.KUBECONFIG_DIR, "kubeconfig_dir");
    Path manifestDir = directory("manifestDir", Defaults.MANIFEST_DIR, "manifest_dir");
    Path kubeletConfig = file("kubeletConfigPath", Defaults.KUBELET_CONFIG, "kubelet_config_path");
    Path encryptionConfig = values.containsKey("encryptionConfigPath")
        ? file("encryptionConfigPath", null, "encryption_config_path") : null;

    String nodeName = get("nodeName");
    String nodeField = field("nodeName", "node_name");
    if (nodeName == null) {
      nodeName = Hostname.current();
    }
    if (!DnsNames.isSubdomain(nodeName)) {
      throw WorkerException.badInput(ConfigCodes.INVALID_VALUE, nodeField, "'" + nodeName
          + "' is not a lower-case RFC 1123 name" + (values.containsKey("nodeName") ? "" : " (taken from the host name); set node_name"));
    }

    String adv = get("advertiseAddress");
    if (adv != null) {
      String advField = field("advertiseAddress", "advertise_address");
      adv = ip(adv, advField);
      if (IpAddresses.parse(adv).orElseThrow().isAnyLocalAddress()) {
        throw WorkerException.badInput(ConfigCodes.INVALID_ADDRESS, advField,
            "'" + adv + "' is unspecified; give the address the API server is reached at");
      }
    }
    long port = this.<Number>get("bindPort") == null ? Defaults.BIND_PORT : this.<Number>get("bindPort").longValue();
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

    String serviceSubnet = cidrs(orDefault("serviceSubnet", Defaults.SERVICE_SUBNET),
        field("serviceSubnet", "service_subnet"));
    String podSubnet = get("podSubnet");
    if (podSubnet != null && podSubnet.isEmpty()) {
      podSubnet = null;
    }
    if (podSubnet != null) {
      podSubnet = cidrs(podSubnet, field("podSubnet", "pod_subnet"));
    }
    String dnsDomain = orDefault("dnsDomain", Defaults.DNS_DOMAIN);
    if (!DnsNames.isSubdomain(dnsDomain)) {
      throw WorkerException.badInput(ConfigCodes.INVALID_VALUE, field("dnsDomain", "dns_domain"),
          "'" + dnsDomain + "' is not a valid DNS domain");
    }
    String clusterName = orDefault("clusterName", Defaults.CLUSTER_NAME);
    if (!clusterName.matches("[A-Za-z0-9][A-Za-z0-9._@:-]{0,252}")) {
      throw WorkerException.badInput(ConfigCodes.INVALID_VALUE, field("clusterName", "cluster_name"),
          "'" + clusterName + "' must be letters, digits, '.', '_', '-', '@' or ':'");
    }
    String version = version(orDefault("kubernetesVersion", Defaults.KUBERNETES_VERSION),
        field("kubernetesVersion", "kubernetes_version"));
    String repo = orDefault("imageRepository", Defaults.IMAGE_REPOSITORY);
    imageRepo(repo, field("imageRepository", "image_repository"));

    List<String> sans = sans("certSans", "apiserver_cert_sans");
    String keyAlgorithm = orDefault("keyAlgorithm", Defaults.KEY_ALGORITHM);
    if (KeyAlgorithm.byId(keyAlgorithm).isEmpty()) {
      throw WorkerException.badInput(ConfigCodes.INVALID_VALUE, field("keyAlgorithm", "key_algorithm"),
          "'" + keyAlgorithm + "' is not one of " + KeyAlgorithm.ids());
    }
    Duration validity = validity("certificateValidity", Defaults.CERT_VALIDITY, "certificate_validity");
    Duration caValidity = validity("caCertificateValidity", Defaults.CA_VALIDITY, "ca_certificate_validity");
    Duration healthCheck = duration("healthCheck", Defaults.HEALTH_CHECK, "control_plane_component_health_check");
    duration("discoveryTimeout", Defaults.DISCOVERY_TIMEOUT, "discovery_timeout");

    EtcdConfig etcd = etcd(certDir);
    DnsAddon dns = dns();
    String criSocket = orDefault("criSocket", Defaults.CRI_SOCKET);
    return new ClusterModel(certDir, kubeconfigDir, manifestDir, kubeletConfig, encryptionConfig,
        nodeName, adv, (int) port, cpe, serviceSubnet, podSubnet, dnsDomain, clusterName, version, repo,
        sans, etcd, keyAlgorithm, validity, caValidity,
        extras("apiServer"), extras("controllerManager"), extras("scheduler"),
        criSocket, healthCheck, featureGates, joinConfiguration, copy(kubeletConfiguration), extras("kubelet").extraArgs(),
        taints, dns, proxyDisabled, skipPhases, copy(kubeProxyConfiguration),
        this.<List<String>>get("ignorePreflightErrors") == null ? List.of() : get("ignorePreflightErrors"),
        bootstrapTokens);
  }

  /** {@code dns}: image repository and tag validated as {@code etcd.local}'s are. */
  private DnsAddon dns() {
    String repo = orDefault("dnsImageRepository", "");
    if (!repo.isEmpty()) {
      imageRepo(repo, field("dnsImageRepository", "dns_image_repository"));
    }
    String tag = orDefault("dnsImageTag", "");
    if (!tag.isEmpty() && !IMAGE_TAG.matcher(tag).matches()) {
      throw WorkerException.badInput(ConfigCodes.INVALID_VALUE, field("dnsImageTag", "dns_image_tag"),
          "'" + tag + "' is not a valid image tag");
    }
    return new DnsAddon(dnsDisabled, repo, tag);
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
    Path dataDir = path("etcdDataDir", Defaults.ETCD_DATA_DIR, "etcd_data_dir");
    String etcdRepo = orDefault("etcdImageRepository", "");
    if (!etcdRepo.isEmpty()) {
      imageRepo(etcdRepo, field("etcdImageRepository", "etcd_image_repository"));
    }
    String etcdTag = orDefault("etcdImageTag", "");
    if (!etcdTag.isEmpty() && !IMAGE_TAG.matcher(etcdTag).matches()) {
      throw WorkerException.badInput(ConfigCodes.INVALID_VALUE, field("etcdImageTag", "etcd_image_tag"),
          "'" + etcdTag + "' is not a valid image tag");
    }
    List<String> serverSans = sans("etcdServerSans", "etcd_server_cert_sans");
    List<String> peerSans = sans("etcdPeerSans", "etcd_peer_cert_sans");
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
      InputPaths.absolute(m.hostPath(), f + ".hostPath");
      InputPaths.absolute(m.mountPath(), f + ".mountPath");
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

  /** Returns extra SANs, each an IP, an RFC 1123 name or a wildcard (kubeadm's ValidateCertSANs). */
  private List<String> sans(String key, String option) {
    List<String> sans = this.<List<String>>get(key) == null ? List.of() : get(key);
    int bad = AltNames.firstInvalid(sans);
    if (bad >= 0) {
      throw WorkerException.badInput(ConfigCodes.INVALID_SAN, field(key, option) + "[" + bad + "]", "'" + sans.get(bad)
          + "' is neither an IP address nor a DNS name (RFC 1123) nor a wildcard");
    }
    return sans;
  }

  private String orDefault(String key, String def) {
    String v = get(key);
    return v == null || v.isEmpty() ? def : v;
  }

  private Path path(String key, String def, String option) {
    return InputPaths.absolute(orDefault(key, def), field(key, option));
  }

  private Path directory(String key, String def, String option) {
    return InputPaths.directory(orDefault(key, def), field(key, option));
  }

  private Path file(String key, String def, String option) {
    return InputPaths.file(orDefault(key, def), field(key, option));
  }

  private String optionalPath(String key, String option) {
    String raw = orDefault(key, "");
    return raw.isEmpty() ? "" : InputPaths.absolute(raw, field(key, option)).toString();
  }

  /** A certificate validity: a positive duration of at most {@link Defaults#MAX_VALIDITY}. */
  private Duration validity(String key, Duration def, String option) {
    Duration d = duration(key, def, option);
    if (d.compareTo(Defaults.MAX_VALIDITY) > 0) {
      throw WorkerException.badInput(ConfigCodes.INVALID_DURATION, field(key, option),
          "'" + get(key) + "' is longer than " + GoDuration.format(Defaults.MAX_VALIDITY) + " (100 years)");
    }
    return d;
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
