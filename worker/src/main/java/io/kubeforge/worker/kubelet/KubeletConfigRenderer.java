package io.kubeforge.worker.kubelet;

import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.HostProbe;
import io.kubeforge.worker.config.KubeYaml;
import io.kubeforge.worker.config.KubeletDefaults;
import java.util.List;
import java.util.Map;

/**
 * KubeletConfigRenderer builds the KubeletConfiguration kubeadm v1.34 writes to the node: the
 * cluster-wide configuration of {@link KubeletDefaults} (the same one the {@code kubelet-config}
 * ConfigMap carries), with {@code staticPodPath} defaulting to this worker's manifest directory,
 * then the host's part: resolvConf when systemd-resolved's file exists, and, with kubeadm 1.34's
 * NodeLocalCRISocket (beta, on), the CRI socket in {@code containerRuntimeEndpoint} (kubeadm
 * patches instance-config.yaml into config.yaml).
 */
public final class KubeletConfigRenderer {
  static final String SYSTEMD_RESOLV_CONF = "/run/systemd/resolve/resolv.conf";

  private KubeletConfigRenderer() {}

  /** Builds the tree; warnings collect where the user's values differ from kubeadm's. */
  public static Map<String, Object> tree(ClusterModel m, HostProbe host, List<String> warnings) {
    Map<String, Object> c = KubeletDefaults.tree(m, m.manifestDir().toString(), warnings);
    if (host.exists(SYSTEMD_RESOLV_CONF)) {
      KubeletDefaults.defaultValue(c, "resolvConf", SYSTEMD_RESOLV_CONF, warnings);
    }
    if ("".equals(c.get("containerRuntimeEndpoint")) && KubeletFlags.nodeLocalCriSocket(m)) {
      c.put("containerRuntimeEndpoint", m.criSocket());
    }
    return c;
  }

  /** Renders the file content. */
  public static String render(ClusterModel m, HostProbe host, List<String> warnings) {
    return KubeYaml.render(tree(m, host, warnings));
  }
}
