package io.kubeforge.worker.kube;

import com.fasterxml.jackson.databind.JsonNode;
import io.kubeforge.worker.support.WorkerException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * KubeException is the one error type of the Kubernetes client. It is built from the API server's
 * {@code Status} object (its {@code reason} and {@code code}) or from a transport failure, and maps
 * to a worker status a module can act on, never a 500 and never a status the module client would
 * resend the whole call for (429, 503):
 * <ul>
 *   <li>401/403 from the API server: 403 {@code kube.unauthorized}/{@code kube.forbidden}, naming
 *       the user and the verb and resource</li>
 *   <li>404: 404 {@code kube.not_found}; 409 after the retries: 409 {@code kube.conflict};
 *       400/422: 422 {@code kube.invalid}</li>
 *   <li>429 and 5xx after the retries: 502 {@code kube.unavailable}; a TLS failure: 502
 *       {@code kube.tls}; anything else the server answers: 502 {@code kube.error}</li>
 *   <li>a redirect (3xx): 502 {@code kube.redirect}, never followed</li>
 *   <li>unreachable or too slow within the call's timeout: 504 {@code kube.unreachable}</li>
 * </ul>
 * The message never holds credentials.
 */
public final class KubeException extends WorkerException {
  private static final long serialVersionUID = 1L;

  private final int apiStatus;
  private final String reason;
  private final transient List<Applied> applied;

  private KubeException(int status, String code, String message, int apiStatus, String reason,
                        List<Applied> applied, Throwable cause) {
    super(status, code, null, message, cause);
    this.apiStatus = apiStatus;
    this.reason = reason;
    this.applied = List.copyOf(applied);
  }

  /** From an HTTP answer of the API server; {@code body} is its Status object, or null. */
  static KubeException fromStatus(int apiStatus, JsonNode body, String request, String who) {
    String reason = body != null && body.hasNonNull("reason") ? body.get("reason").asText() : "";
    String serverMessage = body != null && body.hasNonNull("message") ? body.get("message").asText()
        : "HTTP " + apiStatus + " without a Status body";
    int status;
    String code;
    String message;
    switch (apiStatus) {
      case 401 -> {
        status = 403;
        code = "kube.unauthorized";
        message = "the API server did not accept the credentials of " + who + " for " + request + ": " + serverMessage;
      }
      case 403 -> {
        status = 403;
        code = "kube.forbidden";
        message = "the API server refused " + request + " to " + who + ": " + serverMessage;
      }
      case 404 -> {
        status = 404;
        code = "kube.not_found";
        message = request + ": " + serverMessage;
      }
      case 409 -> {
        status = 409;
        code = "kube.conflict";
        message = request + " conflicts: " + serverMessage;
      }
      case 400, 422 -> {
        status = 422;
        code = "kube.invalid";
        message = "the API server rejected " + request + ": " + serverMessage;
      }
      default -> {
        status = 502;
        code = apiStatus == 429 || apiStatus >= 500 ? "kube.unavailable" : "kube.error";
        message = "the API server answered " + request + " with HTTP " + apiStatus + ": " + serverMessage;
      }
    }
    return new KubeException(status, code, message, apiStatus, reason, List.of(), null);
  }

  /** The API server could not be reached (or answered too slowly) within the call's timeout. */
  static KubeException unreachable(String message, Throwable cause) {
    return new KubeException(504, "kube.unreachable", message, 0, "", List.of(), cause);
  }

  /** The server answered with a redirect, which is never followed. */
  static KubeException redirect(String message) {
    return new KubeException(502, "kube.redirect", message, 0, "", List.of(), null);
  }

  /** The TLS handshake failed: wrong CA, wrong host name, or a client certificate refused. */
  static KubeException tls(String message, Throwable cause) {
    return new KubeException(502, "kube.tls", message, 0, "", List.of(), cause);
  }

  /**
   * etcd's membership API failed: {@code etcd.unavailable} (504: no answer or only errors within
   * the bound), {@code etcd.refused} (502: an error that retrying cannot mend), {@code etcd.tls} (502).
   */
  static KubeException etcd(String code, String message, Throwable cause) {
    return new KubeException(code.equals("etcd.unavailable") ? 504 : 502, code, message, 0, "", List.of(), cause);
  }

  /** The HTTP status the API server answered, or 0 when it did not answer. */
  public int apiStatus() {
    return apiStatus;
  }

  /** The Status reason ({@code Forbidden}, {@code AlreadyExists}, {@code NotFound}, ...), or "". */
  public String reason() {
    return reason;
  }

  /** The objects applied before this failure, in order (empty when the first one failed). */
  public List<Applied> applied() {
    return applied;
  }

  /**
   * The same error (status, code and reason), its message naming what failed ({@code failed}) and
   * every object applied before it, in order.
   */
  public KubeException afterApplying(List<Applied> before, String failed) {
    if (before.isEmpty()) {
      return new KubeException(status(), code(), "applying " + failed + ": " + getMessage()
          + " (nothing was applied)", apiStatus, reason, before, this);
    }
    String done = before.stream().map(a -> a.describe() + " (" + a.action().fact() + ")")
        .collect(Collectors.joining(", "));
    return new KubeException(status(), code(), "applying " + failed + ": " + getMessage()
        + "; applied before the failure: " + done, apiStatus, reason, before, this);
  }
}
