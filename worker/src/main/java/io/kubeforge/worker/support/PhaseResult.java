package io.kubeforge.worker.support;

import java.util.List;
import java.util.Map;

/**
 * PhaseResult is what every capability returns: whether anything on disk or in the cluster
 * changed (or, in a dry run, would change), warnings for the operator, the facts later plays
 * need, and an optional before/after diff. It never holds private keys or token secrets.
 *
 * @param changed true when something was (or in a dry run would be) written
 * @param warnings conditions that did not fail the call
 * @param result the facts, JSON-serialisable (maps, lists, strings, numbers, booleans)
 * @param diff {@code {"before": ..., "after": ...}} or null when there is nothing to show
 */
public record PhaseResult(boolean changed, List<String> warnings, Map<String, Object> result,
                          Map<String, Object> diff) {
  public PhaseResult {
    warnings = List.copyOf(warnings);
  }
}
