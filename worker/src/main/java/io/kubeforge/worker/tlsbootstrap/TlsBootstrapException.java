package io.kubeforge.worker.tlsbootstrap;

import io.kubeforge.worker.support.WorkerException;

/**
 * TlsBootstrapException is a failure of the TLS bootstrap the user can act on: the token was
 * rejected (401) or lacks rights (403), or no certificate within the timeout (504). Its message
 * never holds the token.
 */
final class TlsBootstrapException extends WorkerException {
  private static final long serialVersionUID = 1L;

  TlsBootstrapException(int status, String code, String field, String message, Throwable cause) {
    super(status, "tls_bootstrap." + code, field, message, cause);
  }
}
