package io.kubeforge.worker.faults;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash consistency: a child JVM runs every file-writing phase twice over (create, then reissue
 * the apiserver pair, rotate the encryption key, change a static Pod and the kubelet files) and
 * halts, as after {@code kill -9}, right after its N-th file-system step (the reconciler's
 * {@code kubeforge.fault.haltAfterSteps} hook). For each crash point: no partial file and
 * nothing temporary in {@code manifests/} right after the crash; then the next run (in this JVM)
 * heals the tree, which is then consistent (every pair whole and matching, every leaf signed by
 * its CA) and converged (a further run changes nothing). ECDSA keys keep it fast; the number of
 * points is {@code kubeforge.crashPoints} (default 100, spread evenly over the steps of a full run).
 */
class CrashConsistencyTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int POINTS = Integer.getInteger("kubeforge.crashPoints", 100);
  /** First crash point (to replay a range of points; 1 in CI). */
  private static final int FIRST = Integer.getInteger("kubeforge.crashFirstStep", 1);

  @TempDir
  Path tmp;

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> answers(ChildJvm.Outcome o) throws Exception {
    List<Map<String, Object>> out = new ArrayList<>();
    for (String line : o.lines()) {
      if (line.startsWith("{")) {
        out.add(JSON.readValue(line, Map.class));
      }
    }
    return out;
  }

  @Test
  @Timeout(value = 15, unit = TimeUnit.MINUTES)
  @DisplayName("a crash at any file-system step leaves no partial file, and the next run heals the tree")
  void aCrashAtAnyStepLeavesNoPartialFileAndTheNextRunHealsTheTree() throws Exception {
    long t0 = System.nanoTime();
    ChildJvm.Outcome full = ChildJvm.run(List.of(), 120, TreeDriver.class, tmp.resolve("full").toString());
    assertThat(full.exit()).as(full.stderr()).isZero();
    assertThat(answers(full)).allSatisfy(a -> assertThat(a).doesNotContainKey("code"));
    TreeChecks.consistent(tmp.resolve("full"));
    int steps = Integer.parseInt(full.lines().get(full.lines().size() - 1).substring("STEPS ".length()));
    assertThat(steps).as("file-system steps of a full run").isGreaterThanOrEqualTo(100);

    List<Integer> points = new ArrayList<>();
    int count = Math.min(POINTS, steps - FIRST + 1);
    for (int i = 0; i < count; i++) {
      points.add(FIRST + (int) ((long) i * (steps - FIRST) / Math.max(1, count - 1)));
    }
    List<Integer> distinct = points.stream().distinct().toList();
    AtomicInteger healedRuns = new AtomicInteger();
    List<String> failures = Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<?>> trials = new ArrayList<>();
      for (int n : distinct) {
        trials.add(pool.submit(() -> {
          Path base = tmp.resolve("crash-" + n);
          try {
            ChildJvm.Outcome crashed = ChildJvm.run(List.of("-Dkubeforge.fault.haltAfterSteps=" + n), 120,
                TreeDriver.class, base.toString());
            assertThat(crashed.exit()).as("exit after step %d: %s", n, crashed.stderr()).isEqualTo(137);
            TreeChecks.noPartialFile(base);
            List<Map<String, Object>> healing = TreeDriver.run(base, true);
            assertThat(healing).allSatisfy(a -> assertThat(a).as("step %d", n).doesNotContainKey("code"));
            if (healing.stream().anyMatch(a -> String.valueOf(a.get("warnings")).contains("interrupted"))) {
              healedRuns.incrementAndGet();
            }
            TreeChecks.consistent(base);
            for (String phase : TreeDriver.PHASES) {
              Map<String, Object> again = TreeDriver.call(io.kubeforge.worker.api.Capabilities.all().get(phase), phase,
                  TreeDriver.body(base, true, phase));
              if (!phase.equals("encryption-config")) {
                assertThat(again.get("changed")).as("%s converged after step %d", phase, n).isEqualTo(false);
              }
            }
          } catch (Throwable e) {
            failures.add("crash after step " + n + ": " + e);
          }
          return null;
        }));
      }
      for (Future<?> f : trials) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    System.out.printf("crash consistency: %d steps in a full run, %d crash points, %d healed an interrupted write, "
        + "%d failures, %.1f s%n", steps, distinct.size(), healedRuns.get(), failures.size(),
        (System.nanoTime() - t0) / 1e9);
    assertThat(distinct).hasSizeGreaterThanOrEqualTo(Math.min(100, count));
    assertThat(failures).isEmpty();
  }
}
