package io.kubeforge.worker.config;

/**
 * Endpoints builds the API server URLs kubeadm writes into kubeconfigs (util/endpoint.go).
 */
public final class Endpoints {
  private Endpoints() {}

  /** Joins a host and a port as Go's {@code net.JoinHostPort}: IPv6 literals get brackets. */
  public static String joinHostPort(String host, int port) {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  /** Returns {@code https://<advertiseAddress>:<bindPort>}, kubeadm's local API endpoint URL. */
  public static String localUrl(ClusterModel m) {
    return "https://" + m.localEndpointHostPort();
  }

  /**
   * Returns the control-plane endpoint URL: {@code https://<cpe host>:<cpe port or bindPort>}
   * when a control-plane endpoint is set, otherwise the local endpoint URL.
   */
  public static String controlPlaneUrl(ClusterModel m) {
    if (m.controlPlaneEndpoint() == null) {
      return localUrl(m);
    }
    HostPort hp = HostPort.parse(m.controlPlaneEndpoint(), "control_plane_endpoint");
    return "https://" + joinHostPort(hp.host(), hp.port() == null ? m.bindPort() : hp.port());
  }

  /**
   * Returns the warning kubeadm logs when the control-plane endpoint's port differs from
   * bindPort, or null.
   */
  public static String portWarning(ClusterModel m) {
    if (m.controlPlaneEndpoint() == null) {
      return null;
    }
    HostPort hp = HostPort.parse(m.controlPlaneEndpoint(), "control_plane_endpoint");
    if (hp.port() != null && hp.port() != m.bindPort()) {
      return "port specified in control_plane_endpoint (" + hp.port() + ") overrides bind_port ("
          + m.bindPort() + ")";
    }
    return null;
  }
}
