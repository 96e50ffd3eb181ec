package io.kubeforge.worker.support;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * NamedFiles reads a small file that a user's document names (a kubeconfig's
 * {@code certificate-authority}, {@code client-key}, {@code tokenFile}), as kubectl does:
 * following links, but only a regular file, refused without opening it otherwise (a FIFO would
 * block the thread, {@code /dev/zero} never ends), and never more than a bound.
 */
public final class NamedFiles {
  /** The bound of such files: a CA bundle, a key, a token. */
  public static final int MAX_BYTES = 1 << 20;

  private NamedFiles() {}

  /**
   * Returns the content of {@code file}.
   *
   * @throws IllegalArgumentException with the reason (never the content) when it is missing,
   *     not a regular file, larger than {@link #MAX_BYTES} or unreadable
   */
  public static byte[] read(Path file) {
    if (!Files.exists(file)) {
      throw new IllegalArgumentException("does not exist");
    }
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("is not a regular file");
    }
    try (InputStream in = Files.newInputStream(file)) {
      byte[] data = in.readNBytes(MAX_BYTES + 1);
      if (data.length > MAX_BYTES) {
        throw new IllegalArgumentException("is larger than " + MAX_BYTES + " bytes");
      }
      return data;
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("does not exist");
    } catch (IOException | SecurityException e) {
      throw new IllegalArgumentException("cannot be read (" + e.getClass().getSimpleName() + ")");
    }
  }
}
