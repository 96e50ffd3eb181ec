package io.kubeforge.worker.api;

import io.kubeforge.worker.support.PhaseResult;
import java.util.Map;

/**
 * Capability is one worker call: it decodes the request body into its own options (throwing
 * {@link io.kubeforge.worker.support.WorkerException} for bad input), runs its phase, and returns
 * the result. It is called off the event loop, so it may block on key generation and file I/O.
 */
@FunctionalInterface
public interface Capability {
  /**
   * Runs the capability.
   *
   * @param body the request object without {@code dry_run}
   * @param dryRun compute everything, write nothing
   */
  PhaseResult run(Map<String, Object> body, boolean dryRun);
}
