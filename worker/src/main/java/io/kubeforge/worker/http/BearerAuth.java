package io.kubeforge.worker.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * BearerAuth lets a request through only when it carries {@code Authorization: Bearer <token>}
 * with the worker home's token, compared in constant time. Everything else is a 401.
 */
final class BearerAuth implements Handler<RoutingContext> {
  private final byte[] expected;

  BearerAuth(String token) {
    this.expected = ("Bearer " + token).getBytes(StandardCharsets.US_ASCII);
  }

  @Override
  public void handle(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    byte[] given = header == null ? new byte[0] : header.getBytes(StandardCharsets.US_ASCII);
    if (MessageDigest.isEqual(expected, given)) {
      ctx.next();
    } else {
      ctx.fail(401);
    }
  }
}
