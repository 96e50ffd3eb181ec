package io.kubeforge.worker.kube;

import com.fasterxml.jackson.databind.JsonNode;
import io.kubeforge.worker.config.ClusterModel;
import io.kubeforge.worker.config.ExternalEtcd;
import io.kubeforge.worker.config.InputPaths;
import io.kubeforge.worker.config.RequestOptions;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * KubeadmCerts is the layout of the {@code kube-system/kubeadm-certs} Secret, shared by the upload
 * and the download side ({@code copycerts.certsToTransfer}): which file goes under which data
 * key. Keys are file names with {@code /} as {@code -}; local etcd adds {@code etcd-ca.crt/key}
 * ({@code <cert_dir>/etcd/ca.*}), external etcd instead the three files its options name (a file
 * not named maps to null: uploaded as an empty value, never downloaded). Each value is
 * {@link io.kubeforge.worker.support.AesGcm} under the certificate key.
 */
public final class KubeadmCerts {
  /** The Secret's name. */
  public static final String SECRET = "kubeadm-certs";
  /** The Secret's namespace. */
  public static final String NAMESPACE = BootstrapToken.NAMESPACE;
  /** kubeadm's message when the Secret is gone (it lives as long as its 2h owner token). */
  public static final String NOT_FOUND = "Secret \"kubeadm-certs\" was not found in the \"kube-system\" Namespace. "
      + "This Secret might have expired. Please, run `kubeadm init phase upload-certs --upload-certs` (or "
      + "kubeforge.cluster.upload_certs) on a control plane to generate a new one";

  private KubeadmCerts() {}

  /**
   * Data key → file, in kubeadm's set. {@code external} null means local etcd; otherwise it holds
   * the external etcd CA, certificate and key files (entries may be null).
   */
  public static Map<String, Path> files(Path certDir, Path[] external) {
    Map<String, Path> files = new LinkedHashMap<>();
    for (String name : new String[] {"ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", "sa.pub",
        "sa.key"}) {
      files.put(name, certDir.resolve(name));
    }
    if (external == null) {
      files.put(secretKey("etcd/ca.crt"), certDir.resolve("etcd/ca.crt"));
      files.put(secretKey("etcd/ca.key"), certDir.resolve("etcd/ca.key"));
    } else {
      files.put("external-etcd-ca.crt", external[0]);
      files.put("external-etcd.crt", external[1]);
      files.put("external-etcd.key", external[2]);
    }
    return files;
  }

  /** Where {@link #fromCluster} found the external etcd files: the field its errors name. */
  public static final String CLUSTER_ETCD_FIELD = "kube-system/kubeadm-config ClusterConfiguration.etcd.external";

  /**
   * The external etcd files of the cluster's own {@code ClusterConfiguration} (the
   * {@code kubeadm-config} ConfigMap), for a call that names none: kubeadm's upload-certs takes
   * them from the configuration it runs with, and the cluster's is the one every node shares. Null
   * when the cluster's etcd is local or the ConfigMap holds no ClusterConfiguration.
   */
  public static Path[] fromCluster(KubeClient kube) {
    JsonNode text = kube.get("v1", "ConfigMap", NAMESPACE, "kubeadm-config")
        .map(cm -> cm.path("data").path("ClusterConfiguration")).orElse(null);
    if (text == null || !text.isTextual()) {
      return null;
    }
    ExternalEtcd ext = ClusterModel.fromRequest(Map.of(RequestOptions.KUBEADM_CONFIG, text.asText())).etcd().external();
    if (ext == null) {
      return null;
    }
    String[] given = {ext.caFile(), ext.certFile(), ext.keyFile()};
    Path[] files = new Path[given.length];
    for (int i = 0; i < given.length; i++) {
      files[i] = given[i] == null || given[i].isEmpty() ? null : InputPaths.absolute(given[i], CLUSTER_ETCD_FIELD);
    }
    return files;
  }

  /** kubeadm's {@code certOrKeyNameToSecretName}: {@code /} becomes {@code -}. */
  public static String secretKey(String name) {
    return name.replace('/', '-');
  }
}
