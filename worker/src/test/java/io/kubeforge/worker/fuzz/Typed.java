package io.kubeforge.worker.fuzz;

import io.kubeforge.worker.support.WorkerException;

/**
 * Typed is the property every parser fuzz target checks: bad input may only end in the
 * project's own typed errors. A {@link WorkerException} must be a 4xx (the HTTP layer answers
 * it with the field named); anything else that escapes (a NullPointerException, a
 * ClassCastException, an error of a library, a StackOverflowError) is a finding and is rethrown,
 * so that Jazzer keeps the input that caused it.
 */
public final class Typed {
  private Typed() {}

  /** Code that reads untrusted input. */
  @FunctionalInterface
  public interface Parse {
    void run() throws Exception;
  }

  /** Runs {@code parse}; only a 4xx {@link WorkerException} may escape, and is swallowed. */
  public static void onlyBadInput(Parse parse) {
    try {
      parse.run();
    } catch (WorkerException e) {
      if (e.status() < 400 || e.status() >= 500) {
        throw new AssertionError("bad input answered HTTP " + e.status() + " (" + e.code() + ")", e);
      }
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new AssertionError("checked exception escaped the parser", e);
    }
  }

  /**
   * Runs {@code parse}; only {@link IllegalArgumentException}, the documented error of the PEM
   * and key readers (every caller turns it into a 4xx or 409 naming the file), may escape, and
   * is swallowed.
   */
  public static void onlyIllegalArgument(Parse parse) {
    try {
      parse.run();
    } catch (IllegalArgumentException e) {
      // the readers' documented error
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new AssertionError("checked exception escaped the parser", e);
    }
  }
}
