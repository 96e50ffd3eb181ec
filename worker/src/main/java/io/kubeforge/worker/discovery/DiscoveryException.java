package io.kubeforge.worker.discovery;

import io.kubeforge.worker.support.WorkerException;

/**
 * DiscoveryException is a refusal of discovery: the server could not be trusted (502, a
 * {@code discovery.*} code per reason) or did not answer in time (504). Its message says what to
 * do and never holds the token.
 */
final class DiscoveryException extends WorkerException {
  private static final long serialVersionUID = 1L;

  private DiscoveryException(int status, String code, String message, Throwable cause) {
    super(status, code, null, message, cause);
  }

  /** The server's answer cannot be trusted (or is not usable): 502. */
  static DiscoveryException refused(String code, String message) {
    return new DiscoveryException(502, "discovery." + code, message, null);
  }

  /** Same, keeping the cause for the log. */
  static DiscoveryException refused(String code, String message, Throwable cause) {
    return new DiscoveryException(502, "discovery." + code, message, cause);
  }

  /** No usable answer within the timeout: 504. */
  static DiscoveryException timedOut(String message, Throwable cause) {
    return new DiscoveryException(504, "discovery.unreachable", message, cause);
  }
}
