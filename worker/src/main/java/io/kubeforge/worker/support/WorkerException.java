package io.kubeforge.worker.support;

/**
 * WorkerException is the one error type that crosses from a capability into the HTTP layer.
 * It carries an HTTP status, a stable dotted code and, for bad input, the request field at
 * fault. Its message is written for an operator and never contains key material or tokens.
 * Anything that is not a WorkerException is a fault of ours and becomes a 500.
 */
public class WorkerException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String code;
  private final String field;

  protected WorkerException(int status, String code, String field, String message, Throwable cause) {
    super(message, cause);
    this.status = status;
    this.code = code;
    this.field = field;
  }

  /** Bad input (HTTP 400): names the request field and the reason. */
  public static WorkerException badInput(String code, String field, String message) {
    return new WorkerException(400, code, field, field == null ? message : field + ": " + message, null);
  }

  /** State on disk that the worker refuses to touch or cannot reconcile (HTTP 409). */
  public static WorkerException conflict(String code, String message) {
    return new WorkerException(409, code, null, message, null);
  }

  /** State on disk (HTTP 409) found at a path that the request field {@code field} named. */
  public static WorkerException conflict(String code, String field, String message) {
    return new WorkerException(409, code, field, message, null);
  }

  /** Same as {@link #conflict(String, String)}, keeping the cause for the log. */
  public static WorkerException conflict(String code, String message, Throwable cause) {
    return new WorkerException(409, code, null, message, cause);
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  /** The request field at fault, or null. */
  public String field() {
    return field;
  }
}
