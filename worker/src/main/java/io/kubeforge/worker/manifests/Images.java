package io.kubeforge.worker.manifests;

import io.kubeforge.worker.config.ClusterModel;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Images names the container images of the control plane as kubeadm's {@code images} package:
 * {@code <imageRepository>/<component>:<kubernetesVersion>} ({@code +} becomes {@code _}) and
 * {@code <repository>/etcd:<tag>} with the tag from kubeadm's {@code SupportedEtcdVersion} table
 * (constants.go of kubeadm v1.34.10).
 */
public final class Images {
  /** kubeadm v1.34.10 {@code SupportedEtcdVersion}: Kubernetes minor → etcd image tag. */
  public static final Map<Integer, String> SUPPORTED_ETCD_VERSION = new TreeMap<>(Map.of(
      31, "3.5.24-0", 32, "3.5.24-0", 33, "3.5.24-0", 34, "3.6.5-0"));

  private Images() {}

  /** Returns the image of a Kubernetes control-plane component. */
  public static String kubernetes(String component, ClusterModel m) {
    return m.imageRepository() + "/" + component + ":" + m.kubernetesVersion().replace('+', '_');
  }

  /** Returns the etcd image: the configured repository/tag or kubeadm's defaults. */
  public static String etcd(ClusterModel m) {
    var local = m.etcd().local();
    String repo = local != null && !local.imageRepository().isEmpty() ? local.imageRepository() : m.imageRepository();
    return repo + "/etcd:" + etcdTag(m);
  }

  /** Returns the etcd image tag; minors outside the table take the nearest entry, as kubeadm does (with a warning). */
  public static String etcdTag(ClusterModel m) {
    var local = m.etcd().local();
    if (local != null && !local.imageTag().isEmpty()) {
      return local.imageTag();
    }
    int minor = minor(m.kubernetesVersion());
    TreeMap<Integer, String> table = (TreeMap<Integer, String>) SUPPORTED_ETCD_VERSION;
    if (table.containsKey(minor)) {
      return table.get(minor);
    }
    return minor > table.lastKey() ? table.lastEntry().getValue() : table.firstEntry().getValue();
  }

  /** Returns the warning kubeadm prints when the minor is not in its etcd table, or null. */
  public static String etcdWarning(ClusterModel m) {
    int minor = minor(m.kubernetesVersion());
    if (m.etcd().isExternal() || SUPPORTED_ETCD_VERSION.containsKey(minor)
        || (m.etcd().local() != null && !m.etcd().local().imageTag().isEmpty())) {
      return null;
    }
    return "could not find officially supported version of etcd for Kubernetes " + m.kubernetesVersion()
        + ", falling back to the nearest etcd version (" + etcdTag(m) + ")";
  }

  /** Tells whether an etcd image tag is 3.6.0 or later (kubeadm then uses the non-experimental flags). */
  public static boolean atLeastEtcd36(String tag) {
    String[] v = tag.split("[-+]")[0].split("\\.");
    try {
      int major = Integer.parseInt(v[0]);
      int minor = v.length > 1 ? Integer.parseInt(v[1]) : 0;
      return major > 3 || (major == 3 && minor >= 6);
    } catch (NumberFormatException e) {
      return false;
    }
  }

  static int minor(String version) {
    List<String> parts = List.of(version.substring(1).split("[.+-]"));
    return Integer.parseInt(parts.get(1));
  }
}
