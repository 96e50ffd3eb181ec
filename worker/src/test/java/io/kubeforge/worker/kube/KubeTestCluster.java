package io.kubeforge.worker.kube;

import io.kubeforge.worker.api.Capabilities;
import io.kubeforge.worker.config.TestControlPlane;
import io.kubeforge.worker.pki.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * KubeTestCluster is a real etcd + kube-apiserver v1.34.10 serving with a PKI and kubeconfigs
 * the worker itself wrote ({@code POST /v1/pki} with advertise address 127.0.0.1, then
 * {@code POST /v1/kubeconfigs} pointing at the API server's port), so TLS is verified against our
 * CA and the kubeconfigs' client certificates are checked by the server's {@code --client-ca-file}.
 */
final class KubeTestCluster implements AutoCloseable {
  final Path dir;
  final TestControlPlane cp;

  private KubeTestCluster(Path dir, TestControlPlane cp) {
    this.dir = dir;
    this.cp = cp;
  }

  /** Starts one with RSA-2048 keys, plus ECDSA kubeconfigs in {@code etc-ec/}. */
  static KubeTestCluster start(Path dir, List<String> extraFlags) throws Exception {
    Map<String, Object> body = new HashMap<>();
    body.put("cert_dir", dir.resolve("pki").toString());
    body.put("kubeconfig_dir", dir.resolve("etc").toString());
    body.put("node_name", "cp-1");
    body.put("advertise_address", "127.0.0.1");
    Capabilities.all().get("pki").run(new HashMap<>(body), false);
    TestControlPlane cp = TestControlPlane.startEtcd(dir);
    try {
      List<String> flags = new java.util.ArrayList<>(List.of(
          "--tls-cert-file=" + dir.resolve("pki/apiserver.crt"),
          "--tls-private-key-file=" + dir.resolve("pki/apiserver.key"),
          "--client-ca-file=" + dir.resolve("pki/ca.crt")));
      flags.addAll(extraFlags);
      cp.startApiServer(flags);
    } catch (Exception | AssertionError e) {
      cp.close();
      throw e;
    }
    int port = java.net.URI.create(cp.apiUrl()).getPort();
    body.put("control_plane_endpoint", "127.0.0.1:" + port);
    body.put("bind_port", port);
    Capabilities.all().get("kubeconfigs").run(new HashMap<>(body), false);
    body.put("kubeconfig_dir", dir.resolve("etc-ec").toString());
    body.put("key_algorithm", "ECDSA-P256");
    Capabilities.all().get("kubeconfigs").run(new HashMap<>(body), false);
    return new KubeTestCluster(dir, cp);
  }

  Path kubeconfig(String name) {
    return dir.resolve("etc").resolve(name);
  }

  /** A copy of {@code name} with its client key re-encoded as PKCS#8 ({@code PRIVATE KEY}). */
  Path pkcs8Copy(String name) throws Exception {
    String text = Files.readString(kubeconfig(name));
    String keyData = text.replaceAll("(?s).*client-key-data: (\\S+).*", "$1");
    byte[] pkcs8 = Pem.parsePrivateKey(Base64.getDecoder().decode(keyData)).getEncoded();
    String encoded = Base64.getEncoder().encodeToString(Pem.encode(Pem.PRIVATE_KEY, pkcs8).getBytes());
    Path out = dir.resolve("pkcs8-" + name);
    Files.writeString(out, text.replace(keyData, encoded));
    return out;
  }

  /** A kubeconfig for the same server and CA that authenticates with {@code token}. */
  Path tokenKubeconfig(String token, String file) throws Exception {
    String ca = Base64.getEncoder().encodeToString(Files.readAllBytes(dir.resolve("pki/ca.crt")));
    Path out = dir.resolve(file);
    Files.writeString(out, "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
        + "    server: " + cp.apiUrl() + "\n    certificate-authority-data: " + ca + "\n"
        + "contexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n"
        + "users:\n- name: u\n  user:\n    token: " + token + "\n");
    return out;
  }

  @Override
  public void close() throws Exception {
    cp.close();
  }
}
