package io.kubeforge.worker.config;

import io.kubeforge.worker.pki.PkiOptions;
import io.kubeforge.worker.support.GoDuration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PkiAdapter hands the model to the PKI capability: it writes the PKI's own request fields from
 * the model and lets {@link PkiOptions#fromMap} validate them, so that {@code POST /v1/pki} can
 * take a {@code kubeadm_config} like every other capability.
 */
public final class PkiAdapter {
  private PkiAdapter() {}

  /** Returns the PKI request fields for a model (no {@code dry_run}). */
  public static Map<String, Object> toPkiRequest(ClusterModel m, boolean backup) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("cert_dir", m.certDir().toString());
    body.put("node_name", m.nodeName());
    body.put("advertise_address", m.requireAdvertiseAddress());
    body.put("bind_port", m.bindPort());
    if (m.controlPlaneEndpoint() != null) {
      body.put("control_plane_endpoint", m.controlPlaneEndpoint());
    }
    body.put("service_subnet", m.serviceSubnet());
    body.put("dns_domain", m.dnsDomain());
    body.put("apiserver_cert_sans", m.apiServerCertSans());
    if (m.etcd().local() != null) {
      body.put("etcd", "local");
      body.put("etcd_server_cert_sans", m.etcd().local().serverCertSans());
      body.put("etcd_peer_cert_sans", m.etcd().local().peerCertSans());
    } else {
      body.put("etcd", "external");
    }
    body.put("key_algorithm", m.keyAlgorithm());
    body.put("certificate_validity", GoDuration.format(m.certificateValidity()));
    body.put("ca_certificate_validity", GoDuration.format(m.caCertificateValidity()));
    body.put("backup", backup);
    return body;
  }

  /**
   * Builds the PKI's options from a request. A request made only of the PKI's own fields is read
   * by {@link PkiOptions#fromMap} unchanged, keeping its error codes. One with
   * {@code kubeadm_config}, or with other cluster options (the same option set every capability
   * takes, so a play can hand one dict to every module), goes through the model: options
   * override the YAML, and fields the model does not know are refused there.
   */
  public static PkiOptions fromRequest(Map<String, Object> body) {
    if (body == null || PkiOptions.FIELDS.containsAll(body.keySet())) {
      return PkiOptions.fromMap(body);
    }
    ClusterModel m = ClusterModel.fromRequest(body, java.util.Set.of("backup", "dry_run"));
    Object backup = body.get("backup");
    return toPkiOptions(m, !(backup instanceof Boolean b) || b);
  }

  /** Builds the PKI's options from a model. */
  public static PkiOptions toPkiOptions(ClusterModel m, boolean backup) {
    return PkiOptions.fromMap(toPkiRequest(m, backup));
  }
}
