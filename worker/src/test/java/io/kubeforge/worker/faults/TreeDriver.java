package io.kubeforge.worker.faults;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kubeforge.worker.api.Capabilities;
import io.kubeforge.worker.api.Capability;
import io.kubeforge.worker.support.PhaseResult;
import io.kubeforge.worker.support.SafeFiles;
import io.kubeforge.worker.support.WorkerException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * TreeDriver runs every file-writing phase of the worker, through the same capabilities the
 * HTTP layer calls, on one tree below a base folder: a first pass that creates everything, then
 * a second pass that changes every area (a reissue of the apiserver pair, a key rotation, a
 * changed static Pod, a changed kubelet file). The fault tests run it in child JVMs (to crash
 * them, or to race two of them); its {@code main} prints one JSON line per answer and the
 * number of file-system steps taken.
 */
public final class TreeDriver {
  /** The phases in the order a playbook runs them. */
  static final List<String> PHASES = List.of("pki", "kubeconfigs", "static-pods", "encryption-config", "kubelet-config");

  private TreeDriver() {}

  /** Returns the request body of one tree below {@code base}; {@code second} changes every area. */
  static Map<String, Object> body(Path base, boolean second, String phase) {
    Map<String, Object> b = new HashMap<>();
    b.put("cert_dir", base.resolve("pki").toString());
    b.put("kubeconfig_dir", base.toString());
    b.put("manifest_dir", base.resolve("manifests").toString());
    b.put("kubelet_config_path", base.resolve("kubelet/config.yaml").toString());
    b.put("encryption_config_path", base.resolve("encryption/encryption-config.yaml").toString());
    b.put("advertise_address", "192.168.0.10");
    b.put("node_name", "cp-1");
    b.put("key_algorithm", "ECDSA-P256");
    if (second) {
      b.put("apiserver_cert_sans", List.of("api.example.test"));
      b.put("control_plane_endpoint", "api.example.test:6443");
      b.put("apiserver_extra_args", Map.of("v", "4"));
      b.put("kubelet_extra_args", Map.of("v", "4"));
      if (phase.equals("encryption-config")) {
        b.put("rotate", true);
      }
    }
    return b;
  }

  /** Runs one phase; a WorkerException becomes an answer with its code, like the HTTP layer's. */
  static Map<String, Object> call(Capability c, String phase, Map<String, Object> body) {
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("phase", phase);
    try {
      PhaseResult r = c.run(new HashMap<>(body), false);
      answer.put("changed", r.changed());
      answer.put("warnings", r.warnings());
      answer.put("result", r.result());
    } catch (WorkerException e) {
      answer.put("status", e.status());
      answer.put("code", e.code());
      answer.put("message", e.getMessage());
    }
    return answer;
  }

  /** Runs both passes (or only the first) and returns the answers. */
  static List<Map<String, Object>> run(Path base, boolean both) {
    Map<String, Capability> caps = Capabilities.all();
    List<Map<String, Object>> answers = new ArrayList<>();
    for (boolean second : both ? List.of(false, true) : List.of(false)) {
      for (String phase : PHASES) {
        answers.add(call(caps.get(phase), phase, body(base, second, phase)));
      }
    }
    return answers;
  }

  /** Usage: {@code TreeDriver <base> [first|both]}. */
  public static void main(String[] args) throws IOException {
    PrintStream out = System.out;
    ObjectMapper json = new ObjectMapper();
    for (Map<String, Object> a : run(Path.of(args[0]), args.length < 2 || args[1].equals("both"))) {
      out.println(json.writeValueAsString(a));
    }
    out.println("STEPS " + SafeFiles.steps());
    out.flush();
  }
}
