package io.kubeforge.worker.http;

import io.kubeforge.worker.support.WorkerException;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * FailureHandler is the only place that writes an error body. A {@link WorkerException} keeps
 * its status, code and field; Vert.x's own failures (body too large, 404, 405) keep their status;
 * a failure while the body is still being read (malformed chunked encoding) is a 400;
 * anything else is a 500 whose message reveals no internals (the cause goes to the log without
 * request data).
 */
public final class FailureHandler implements Handler<RoutingContext> {
  private static final Logger LOG = Logger.getLogger(FailureHandler.class.getName());

  @Override
  public void handle(RoutingContext ctx) {
    if (ctx.response().ended()) {
      return;
    }
    Throwable failure = ctx.failure();
    if (failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null) {
      failure = failure.getCause();
    }
    int status;
    String code;
    String message;
    String field = null;
    if (failure instanceof WorkerException we) {
      status = we.status();
      code = we.code();
      message = we.getMessage();
      field = we.field();
      if (status >= 500) {
        LOG.log(Level.SEVERE, "request failed: " + code, failure);
      }
    } else if (failure instanceof HttpException he) {
      status = he.getStatusCode();
      code = codeFor(status);
      message = messageFor(status, ctx);
    } else if (failure != null && (!ctx.request().isEnded() || !ctx.body().available())) {
      // the request failed while its body was being read (a malformed chunk, a connection reset):
      // the client's bytes, not the worker, so a 400 and one log line without a stack trace
      status = 400;
      code = "request.malformed";
      message = "the request body could not be read as HTTP/1.1: " + failure.getClass().getSimpleName();
      LOG.warning("malformed request body on " + ctx.request().method() + " " + ctx.request().path()
          + ": " + failure.getClass().getSimpleName());
    } else if (failure == null && ctx.statusCode() >= 400) {
      status = ctx.statusCode();
      code = codeFor(status);
      message = messageFor(status, ctx);
    } else {
      status = 500;
      code = "internal";
      message = "internal error in the worker; see the worker log";
      LOG.log(Level.SEVERE, "internal error serving " + ctx.request().method() + " " + ctx.request().path(), failure);
    }
    write(ctx, status, code, message, field);
  }

  static void write(RoutingContext ctx, int status, String code, String message, String field) {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("code", code);
    error.put("message", message);
    if (field != null) {
      error.put("field", field);
    }
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json");
    if (status == 401) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"kubeforge\"");
    }
    ctx.response().end(Json.encode(Map.of("error", error)));
  }

  private static String codeFor(int status) {
    return switch (status) {
      case 400 -> "request.bad";
      case 401 -> "auth.unauthorized";
      case 404 -> "request.not_found";
      case 405 -> "request.method_not_allowed";
      case 413 -> "request.too_large";
      case 415 -> "request.unsupported_media_type";
      default -> status >= 500 ? "internal" : "request.error";
    };
  }

  private static String messageFor(int status, RoutingContext ctx) {
    return switch (status) {
      case 401 -> "missing or wrong bearer token; modules read it from the worker home's token file";
      case 404 -> "no such endpoint: " + ctx.request().path();
      case 405 -> "method " + ctx.request().method() + " not allowed on " + ctx.request().path();
      case 413 -> "request body is larger than " + WorkerServer.MAX_BODY_BYTES + " bytes";
      case 415 -> "request body must be application/json";
      default -> "request failed with HTTP " + status;
    };
  }
}
