package io.kubeforge.worker.kubelet;

import io.kubeforge.worker.config.Arg;
import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.HostProbe;
import io.kubeforge.worker.config.Flags;
import java.util.ArrayList;
import java.util.List;

/**
 * KubeletFlags renders the two small files kubeadm v1.34's kubelet-start phase writes next to
 * {@code config.yaml}: {@code kubeadm-flags.env} ({@code KUBELET_KUBEADM_ARGS="..."}: the pause
 * image, {@code --hostname-override} when the node name differs from the host name, the CRI
 * socket only when {@code NodeLocalCRISocket} is off, then {@code kubeletExtraArgs}, merged by
 * the same rule as the control plane's flags) and, with {@code NodeLocalCRISocket} on (beta,
 * default in 1.34), {@code instance-config.yaml} holding {@code containerRuntimeEndpoint}.
 */
public final class KubeletFlags {
  /** kubeadm's feature gate moving the CRI socket from a flag to the instance configuration. */
  public static final String NODE_LOCAL_CRI_SOCKET = "NodeLocalCRISocket";
  /** kubeadm v1.34's {@code PauseVersion}. */
  public static final String PAUSE_VERSION = "3.10.1";
  /** File name of the flags file. */
  public static final String FLAGS_FILE = "kubeadm-flags.env";
  /** File name of the instance configuration. */
  public static final String INSTANCE_FILE = "instance-config.yaml";

  private KubeletFlags() {}

  /** Tells whether the CRI socket goes to {@code instance-config.yaml} (and config.yaml) instead of a flag. */
  public static boolean nodeLocalCriSocket(ClusterModel m) {
    return m.featureGate(NODE_LOCAL_CRI_SOCKET, true);
  }

  /** Renders {@code kubeadm-flags.env}. */
  public static String envFile(ClusterModel m, HostProbe host) {
    List<Arg> base = new ArrayList<>();
    if (!nodeLocalCriSocket(m)) {
      base.add(new Arg("container-runtime-endpoint", m.criSocket()));
    }
    base.add(new Arg("pod-infra-container-image", m.imageRepository() + "/pause:" + PAUSE_VERSION));
    String nodeName = m.nodeName();
    for (Arg a : m.kubeletExtraArgs()) {
      if (a.name().equals("hostname-override")) {
        nodeName = a.value();
      }
    }
    if (!nodeName.equals(host.hostname())) {
      base.add(new Arg("hostname-override", nodeName));
    }
    List<String> cmd = Flags.command("kubelet", base, m.kubeletExtraArgs());
    return "KUBELET_KUBEADM_ARGS=" + goQuote(String.join(" ", cmd.subList(1, cmd.size()))) + "\n";
  }

  /** Renders {@code instance-config.yaml} as kubeadm's {@code fmt.Sprintf("containerRuntimeEndpoint: %q\n", ...)}. */
  public static String instanceFile(ClusterModel m) {
    return "containerRuntimeEndpoint: " + goQuote(m.criSocket()) + "\n";
  }

  /** Quotes like Go's {@code %q} for strings: double quotes, backslash escapes, {@code \\xNN} for other controls. */
  static String goQuote(String s) {
    StringBuilder b = new StringBuilder("\"");
    s.codePoints().forEach(c -> {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\t' -> b.append("\\t");
        case '\r' -> b.append("\\r");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            b.append(String.format("\\x%02x", c));
          } else {
            b.appendCodePoint(c);
          }
        }
      }
    });
    return b.append('"').toString();
  }
}
