package io.kubeforge.worker.pki;

import io.kubeforge.worker.config.ClusterModel;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** PkiTrees holds shared helpers of the PKI tests: request bodies, phases with fixture keys. */
final class PkiTrees {
  /** The fixed start time of test runs. */
  static final Instant START = Instant.parse("2026-11-23T12:00:00Z");

  private PkiTrees() {}

  /** Returns a mutable request body for {@code dir} with advertise address 192.168.0.10, node "cp-1". */
  static Map<String, Object> body(Path dir, Object... more) {
    Map<String, Object> body = new HashMap<>();
    body.put("cert_dir", dir.toString());
    body.put("advertise_address", "192.168.0.10");
    body.put("node_name", "cp-1");
    for (int i = 0; i < more.length; i += 2) {
      body.put((String) more[i], more[i + 1]);
    }
    if ("external".equals(body.get("etcd"))) {
      body.putIfAbsent("etcd_external_endpoints", List.of("https://192.168.0.20:2379"));
    }
    return body;
  }

  /** Returns the PKI phase's inputs for {@link #body}, read through the cluster model as a request is. */
  static PkiOptions options(Path dir, Object... more) {
    return ClusterModel.pkiRequest(body(dir, more));
  }

  /** Returns a phase with fixture keys and a clock fixed at {@code at}. */
  static PkiPhase phase(Instant at) {
    return new PkiPhase(Clock.fixed(at, ZoneOffset.UTC), new FixtureKeys());
  }

  static PkiPhase phase() {
    return phase(START);
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> certificates(Map<String, Object> result) {
    return (List<Map<String, Object>>) result.get("certificates");
  }

  static Map<String, Object> cert(Map<String, Object> result, String name) {
    return certificates(result).stream().filter(c -> c.get("name").equals(name)).findFirst().orElseThrow();
  }
}
