package io.kubeforge.worker.cluster;

import io.kubeforge.worker.kube.Applied;
import io.kubeforge.worker.support.WorkerException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * AppliedBeforeFailure is an API failure midway through the phase: the same status and code, and
 * a message that names the object that failed and every object applied before it.
 */
final class AppliedBeforeFailure extends WorkerException {
  private static final long serialVersionUID = 1L;

  AppliedBeforeFailure(WorkerException cause, String failed, List<Applied> before) {
    super(cause.status(), cause.code(), cause.field(), message(cause, failed, before), cause);
  }

  private static String message(WorkerException cause, String failed, List<Applied> before) {
    String done = before.isEmpty() ? "nothing was applied"
        : "applied before the failure: " + before.stream()
            .map(a -> a.describe() + " (" + a.action().fact() + ")").collect(Collectors.joining(", "));
    return "applying " + failed + ": " + cause.getMessage() + "; " + done;
  }
}
