package io.kubeforge.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The worker's layers are http → api → phases → kube → config → pki → support (runtime beside http):
 * a package uses only packages of lower layers, and phases are siblings that never use each
 * other. Read from the main sources, imports and fully qualified names alike.
 */
class LayersTest {
  private static final Path SOURCES = Path.of("src/main/java/io/kubeforge/worker");
  private static final Pattern REFERENCE = Pattern.compile("io\\.kubeforge\\.worker\\.([a-z]+)\\.");
  /** The phases' layer: siblings, each may use kube (the one way to an API server) and below. */
  private static final int PHASE = 5;
  /** Layer of every package; a new package must be placed here. */
  private static final Map<String, Integer> LAYER = Map.ofEntries(
      Map.entry("http", 7), Map.entry("runtime", 7), Map.entry("api", 6),
      Map.entry("certinfo", PHASE), Map.entry("encryption", PHASE), Map.entry("kubeconfig", PHASE),
      Map.entry("kubelet", PHASE), Map.entry("manifests", PHASE), Map.entry("preflight", PHASE),
      Map.entry("cluster", PHASE), Map.entry("bootstraptoken", PHASE), Map.entry("uploadcerts", PHASE),
      Map.entry("discovery", PHASE), Map.entry("downloadcerts", PHASE),
      Map.entry("csrapprove", PHASE), Map.entry("carotate", PHASE),
      Map.entry("renew", PHASE), Map.entry("tlsbootstrap", PHASE),
      Map.entry("kube", 4), Map.entry("config", 3), Map.entry("pki", 2), Map.entry("support", 1));

  private static List<String> violations() throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(SOURCES)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        Path rel = SOURCES.relativize(file);
        if (rel.getNameCount() < 2) {
          continue; // Main wires everything
        }
        String from = rel.getName(0).toString();
        Set<String> used = new TreeSet<>();
        Matcher m = REFERENCE.matcher(Files.readString(file));
        while (m.find()) {
          used.add(m.group(1));
        }
        used.remove(from);
        for (String to : used) {
          Integer a = LAYER.get(from);
          Integer b = LAYER.get(to);
          if (a == null || b == null) {
            out.add(rel + ": package " + (a == null ? from : to) + " has no layer in LayersTest");
          } else if (b >= a) {
            out.add(rel + " (" + from + ") uses " + to + (a.equals(b) && a == PHASE ? ", a sibling phase" : ", a higher layer"));
          }
        }
      }
    }
    return out;
  }

  @Test
  void everyPackageUsesOnlyLowerLayersAndNoPhaseUsesAnotherPhase() throws IOException {
    assertThat(violations()).isEmpty();
  }
}
