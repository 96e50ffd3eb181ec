package io.kubeforge.worker.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Golden compares rendered files with {@code src/test/resources/golden/<name>}; run the tests with
 * {@code -Dgolden.update=true} to (re)write the golden files instead.
 */
public final class Golden {
  private static final Path ROOT = Path.of("src", "test", "resources", "golden");

  private Golden() {}

  /** Tells whether this run rewrites golden files. */
  public static boolean updating() {
    return Boolean.getBoolean("golden.update");
  }

  /** Asserts {@code actual} equals the golden file byte for byte (or rewrites it when updating). */
  public static void assertMatches(String name, String actual) {
    Path file = ROOT.resolve(name);
    try {
      if (updating()) {
        Files.createDirectories(file.getParent());
        Files.writeString(file, actual, StandardCharsets.UTF_8);
        return;
      }
      assertThat(file).as("golden file %s (regenerate with -Dgolden.update=true)", file).exists();
      assertThat(actual).as("rendered %s against golden file %s", name, file)
          .isEqualTo(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
