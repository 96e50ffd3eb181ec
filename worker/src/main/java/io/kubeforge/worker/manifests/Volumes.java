package io.kubeforge.worker.manifests;

import io.kubeforge.worker.config.HostPathMount;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Volumes collects one component's hostPath volumes and mounts keyed by name, like kubeadm's
 * {@code controlPlaneHostPathMounts}: a later volume with the same name replaces an earlier one
 * (that is how {@code extraVolumes} override defaults), and both lists come out sorted by name.
 */
final class Volumes {
  private final Map<String, Map<String, Object>> volumes = new TreeMap<>();
  private final Map<String, Map<String, Object>> mounts = new TreeMap<>();

  /** Adds (or replaces) a hostPath volume and its mount. */
  void add(String name, String hostPath, String mountPath, boolean readOnly, String type) {
    volumes.put(name, volume(name, hostPath, type));
    mounts.put(name, mount(name, mountPath, readOnly));
  }

  /** Adds the user's extra volumes last, with their own read-only flag and path type. */
  void addExtra(List<HostPathMount> extra) {
    for (HostPathMount m : extra) {
      add(m.name(), m.hostPath(), m.mountPath(), m.readOnly(), m.pathType());
    }
  }

  List<Object> volumes() {
    return new ArrayList<>(volumes.values());
  }

  List<Object> mounts() {
    return new ArrayList<>(mounts.values());
  }

  static Map<String, Object> volume(String name, String hostPath, String type) {
    Map<String, Object> hp = new LinkedHashMap<>();
    hp.put("path", hostPath);
    hp.put("type", type);
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("hostPath", hp);
    v.put("name", name);
    return v;
  }

  static Map<String, Object> mount(String name, String mountPath, boolean readOnly) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mountPath", mountPath);
    m.put("name", name);
    if (readOnly) {
      m.put("readOnly", true);
    }
    return m;
  }
}
