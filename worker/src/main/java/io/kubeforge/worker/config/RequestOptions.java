package io.kubeforge.worker.config;

import io.kubeforge.worker.support.RequestFields;
import io.kubeforge.worker.support.WorkerException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * RequestOptions maps the modules' snake_case options onto the kubeadm model. Precedence: the
 * {@code kubeadm_config} YAML is read first, then every option that is present and not null
 * overrides the matching YAML field; kubeadm's defaults fill what is left.
 *
 * <p>{@code *_extra_args} take a map ({@code {"v": "2"}}, sorted by name as kubeadm's v1beta3
 * conversion does) or a list of {@code {name, value}} (order and repeats kept, as v1beta4).
 * {@code *_extra_envs} take a map or a list of {@code {name, value}}. {@code *_extra_volumes}
 * take a list of {@code {name, host_path, mount_path, read_only, path_type}} (camelCase keys
 * are accepted too).
 */
public final class RequestOptions {
  /** The field holding kubeadm YAML text, or an absolute path to a YAML file. */
  public static final String KUBEADM_CONFIG = "kubeadm_config";
  private static final Map<String, String> SCALARS = Map.ofEntries(
      Map.entry("cert_dir", "certDir"), Map.entry("kubeconfig_dir", "kubeconfigDir"),
      Map.entry("manifest_dir", "manifestDir"), Map.entry("kubelet_config_path", "kubeletConfigPath"),
      Map.entry("encryption_config_path", "encryptionConfigPath"), Map.entry("node_name", "nodeName"),
      Map.entry("advertise_address", "advertiseAddress"), Map.entry("control_plane_endpoint", "controlPlaneEndpoint"),
      Map.entry("service_subnet", "serviceSubnet"), Map.entry("pod_subnet", "podSubnet"),
      Map.entry("dns_domain", "dnsDomain"), Map.entry("cluster_name", "clusterName"),
      Map.entry("kubernetes_version", "kubernetesVersion"), Map.entry("image_repository", "imageRepository"),
      Map.entry("etcd", "etcdMode"), Map.entry("etcd_external_ca_file", "etcdCaFile"),
      Map.entry("etcd_external_cert_file", "etcdCertFile"), Map.entry("etcd_external_key_file", "etcdKeyFile"),
      Map.entry("etcd_data_dir", "etcdDataDir"), Map.entry("etcd_image_tag", "etcdImageTag"),
      Map.entry("key_algorithm", "keyAlgorithm"), Map.entry("certificate_validity", "certificateValidity"),
      Map.entry("ca_certificate_validity", "caCertificateValidity"), Map.entry("cri_socket", "criSocket"),
      Map.entry("control_plane_component_health_check", "healthCheck"));
  private static final Map<String, String> LISTS = Map.of(
      "apiserver_cert_sans", "certSans", "etcd_external_endpoints", "etcdEndpoints",
      "etcd_server_cert_sans", "etcdServerSans", "etcd_peer_cert_sans", "etcdPeerSans");
  private static final Map<String, String> COMPONENTS = Map.of(
      "apiserver", "apiServer", "controller_manager", "controllerManager", "scheduler", "scheduler", "etcd", "etcd");

  /** Every option this class reads (besides the capability's own fields). */
  public static final Set<String> MODEL_FIELDS;

  static {
    Set<String> f = new HashSet<>(SCALARS.keySet());
    f.addAll(LISTS.keySet());
    f.add(KUBEADM_CONFIG);
    f.add("bind_port");
    f.add("kubelet_extra_args");
    for (String c : COMPONENTS.keySet()) {
      f.add(c + "_extra_args");
      f.add(c + "_extra_envs");
      if (!c.equals("etcd")) {
        f.add(c + "_extra_volumes");
      }
    }
    MODEL_FIELDS = Set.copyOf(f);
  }

  private RequestOptions() {}

  /**
   * Returns a reader over a request made of the model's options and a capability's own fields;
   * any other field is refused as unknown.
   */
  public static RequestFields fields(Map<String, Object> body, Set<String> ownFields) {
    Set<String> allowed = new HashSet<>(MODEL_FIELDS);
    allowed.addAll(ownFields);
    return RequestFields.of(body, allowed);
  }

  static ClusterModel toModel(Map<String, Object> body, Set<String> ownFields) {
    RequestFields req = fields(body, ownFields);
    Map<String, Object> safe = body == null ? Map.of() : body;
    ModelBuilder b = new ModelBuilder();
    req.string(KUBEADM_CONFIG).ifPresent(text -> KubeadmConfigReader.read(configText(text), KUBEADM_CONFIG, b));
    for (Map.Entry<String, String> e : SCALARS.entrySet()) {
      req.string(e.getKey()).ifPresent(v -> b.set(e.getValue(), v, e.getKey()));
    }
    if (safe.get("bind_port") != null) {
      b.set("bindPort", req.integer("bind_port", 6443), "bind_port");
    }
    for (Map.Entry<String, String> e : LISTS.entrySet()) {
      if (safe.get(e.getKey()) != null) {
        b.set(e.getValue(), req.stringList(e.getKey()), e.getKey());
      }
    }
    for (Map.Entry<String, String> c : COMPONENTS.entrySet()) {
      String args = c.getKey() + "_extra_args";
      if (safe.get(args) != null) {
        b.setArgs(c.getValue(), args(safe.get(args), args), args);
      }
      String envs = c.getKey() + "_extra_envs";
      if (safe.get(envs) != null) {
        b.setEnvs(c.getValue(), envs(safe.get(envs), envs), envs);
      }
      String vols = c.getKey() + "_extra_volumes";
      if (safe.get(vols) != null) {
        b.setVolumes(c.getValue(), volumes(safe.get(vols), vols), vols);
      }
    }
    if (safe.get("kubelet_extra_args") != null) {
      b.setArgs("kubelet", args(safe.get("kubelet_extra_args"), "kubelet_extra_args"), "kubelet_extra_args");
    }
    if (safe.get("etcd_external_endpoints") != null && b.get("etcdMode") == null) {
      b.set("etcdMode", "external", "etcd");
    }
    return b.build();
  }

  /** Reads {@code kubeadm_config}: YAML text, or a single-line absolute path to a YAML file. */
  static String configText(String value) {
    if (value.indexOf('\n') >= 0 || !value.startsWith("/")) {
      return value;
    }
    Path p = InputPaths.absolute(value, KUBEADM_CONFIG);
    try {
      if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(p)) {
        throw WorkerException.badInput(ConfigCodes.INVALID_PATH, KUBEADM_CONFIG,
            "'" + value + "' is not a readable file");
      }
      if (Files.size(p) > SafeYaml.MAX_CHARS) {
        throw WorkerException.badInput(ConfigCodes.INVALID_YAML, KUBEADM_CONFIG,
            "'" + value + "' is larger than " + SafeYaml.MAX_CHARS + " bytes");
      }
      return Files.readString(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw WorkerException.badInput(ConfigCodes.INVALID_PATH, KUBEADM_CONFIG,
          "couldn't read '" + value + "': " + e.getClass().getSimpleName());
    }
  }

  private static List<Arg> args(Object v, String field) {
    return nameValues(v, field, Arg::new);
  }

  private static List<EnvVar> envs(Object v, String field) {
    return nameValues(v, field, EnvVar::new);
  }

  /** Reads a map {@code name: value} (sorted by name) or a list of {@code {name, value}} (order kept). */
  private static <T> List<T> nameValues(Object v, String field, java.util.function.BiFunction<String, String, T> make) {
    List<T> out = new ArrayList<>();
    if (v instanceof Map<?, ?> m) {
      for (Map.Entry<String, String> e : stringMap(m, field).entrySet()) {
        out.add(make.apply(e.getKey(), e.getValue()));
      }
      return out;
    }
    List<Map<String, Object>> items = objects(v, field);
    for (int i = 0; i < items.size(); i++) {
      Map<String, Object> item = items.get(i);
      String f = field + "[" + i + "]";
      only(item, Set.of("name", "value"), f);
      out.add(make.apply(str(item, "name", f, true), str(item, "value", f, false)));
    }
    return out;
  }

  private static List<HostPathMount> volumes(Object v, String field) {
    List<HostPathMount> out = new ArrayList<>();
    List<Map<String, Object>> items = objects(v, field);
    for (int i = 0; i < items.size(); i++) {
      Map<String, Object> item = items.get(i);
      String f = field + "[" + i + "]";
      only(item, Set.of("name", "host_path", "mount_path", "read_only", "path_type",
          "hostPath", "mountPath", "readOnly", "pathType"), f);
      Object ro = item.getOrDefault("read_only", item.get("readOnly"));
      if (ro != null && !(ro instanceof Boolean)) {
        throw WorkerException.badInput(RequestFields.WRONG_TYPE, f + ".read_only", "must be a boolean");
      }
      out.add(new HostPathMount(str(item, "name", f, true), either(item, "host_path", "hostPath", f),
          either(item, "mount_path", "mountPath", f), Boolean.TRUE.equals(ro),
          item.containsKey("pathType") ? str(item, "pathType", f, false) : str(item, "path_type", f, false)));
    }
    return out;
  }

  private static String either(Map<String, Object> item, String snake, String camel, String f) {
    return item.get(snake) != null ? str(item, snake, f, true) : str(item, camel, f, true);
  }

  private static TreeMap<String, String> stringMap(Map<?, ?> m, String field) {
    TreeMap<String, String> out = new TreeMap<>();
    for (Map.Entry<?, ?> e : m.entrySet()) {
      Object val = e.getValue();
      if (val instanceof Number || val instanceof Boolean) {
        val = String.valueOf(val);
      }
      if (!(val instanceof String s)) {
        throw WorkerException.badInput(RequestFields.WRONG_TYPE, field + "." + e.getKey(), "must be a string");
      }
      out.put(String.valueOf(e.getKey()), s);
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> objects(Object v, String field) {
    if (!(v instanceof List<?> list)) {
      throw WorkerException.badInput(RequestFields.WRONG_TYPE, field, "must be a list of objects or a map");
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      if (!(list.get(i) instanceof Map<?, ?> m)) {
        throw WorkerException.badInput(RequestFields.WRONG_TYPE, field + "[" + i + "]", "must be an object");
      }
      out.add((Map<String, Object>) m);
    }
    return out;
  }

  private static void only(Map<String, Object> item, Set<String> keys, String f) {
    for (String k : new java.util.TreeSet<>(item.keySet())) {
      if (!keys.contains(k)) {
        throw WorkerException.badInput(RequestFields.UNKNOWN_FIELD, f + "." + k, "unknown field");
      }
    }
  }

  private static String str(Map<String, Object> item, String key, String f, boolean required) {
    Object v = item.get(key);
    if (v == null || (required && "".equals(v))) {
      if (required) {
        throw WorkerException.badInput(RequestFields.MISSING_FIELD, f + "." + key, "is required");
      }
      return "";
    }
    if (v instanceof Number || v instanceof Boolean) {
      return String.valueOf(v);
    }
    if (!(v instanceof String s)) {
      throw WorkerException.badInput(RequestFields.WRONG_TYPE, f + "." + key, "must be a string");
    }
    return s;
  }
}
