package io.kubeforge.worker.config;

import io.kubeforge.worker.support.RequestFields;
import io.kubeforge.worker.support.WorkerException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;

/**
 * InputPaths checks the paths a client names, before anything touches the disk: absolute,
 * without NUL, line breaks or {@code ..}; within Linux's {@code PATH_MAX} (4096 bytes with the
 * final NUL) and {@code NAME_MAX} (255 bytes per component); a file path names a file (not
 * {@code /}); and where the worker creates the path, its nearest existing ancestor is a
 * directory. Every problem is {@link ConfigCodes#INVALID_PATH} naming the field.
 */
public final class InputPaths {
  /** Longest path in bytes, without the final NUL ({@code PATH_MAX} − 1). */
  public static final int MAX_PATH = 4095;
  /** Longest path component in bytes ({@code NAME_MAX}). */
  public static final int MAX_NAME = 255;
  /** Room left below a directory the worker writes into, for the files and backups it puts there. */
  public static final int ROOM_BELOW_DIRECTORY = 256;

  private InputPaths() {}

  /** The options naming an external etcd's CA, client certificate and client key, in that order. */
  public static final List<String> EXTERNAL_ETCD_FILES =
      List.of("etcd_external_ca_file", "etcd_external_cert_file", "etcd_external_key_file");

  /**
   * Returns the external etcd's CA, client certificate and client key files that a call names
   * ({@link #EXTERNAL_ETCD_FILES}; an option not given is null), or null when it names none.
   */
  public static Path[] externalEtcdFiles(RequestFields f) {
    if (EXTERNAL_ETCD_FILES.stream().noneMatch(n -> f.string(n).isPresent())) {
      return null;
    }
    Path[] files = new Path[EXTERNAL_ETCD_FILES.size()];
    for (int i = 0; i < files.length; i++) {
      String given = f.string(EXTERNAL_ETCD_FILES.get(i)).orElse("");
      files[i] = given.isEmpty() ? null : file(given, EXTERNAL_ETCD_FILES.get(i));
    }
    return files;
  }

  /** Checks an absolute path that is only read or handed on (never created by the worker). */
  public static Path absolute(String raw, String field) {
    if (raw == null || raw.isEmpty() || raw.indexOf('\0') >= 0 || raw.indexOf('\n') >= 0) {
      throw bad(field, "must be a non-empty absolute path without NUL or line breaks");
    }
    String shown = raw.length() > 80 ? raw.substring(0, 60) + "..." : raw;
    if (raw.getBytes(StandardCharsets.UTF_8).length > MAX_PATH) {
      throw bad(field, "'" + shown + "' is longer than " + MAX_PATH + " bytes (PATH_MAX)");
    }
    Path p;
    try {
      p = Path.of(raw);
    } catch (InvalidPathException e) {
      throw bad(field, "'" + shown + "' is not a valid path");
    }
    if (!p.isAbsolute()) {
      throw bad(field, "'" + shown + "' must be an absolute path");
    }
    for (Path part : p) {
      String name = part.toString();
      if (name.equals("..")) {
        throw bad(field, "'" + shown + "' must not contain '..'");
      }
      if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME) {
        throw bad(field, "'" + shown + "' has a component longer than " + MAX_NAME + " bytes (NAME_MAX)");
      }
    }
    return p.normalize();
  }

  /** Checks a directory the worker creates and writes files into. */
  public static Path directory(String raw, String field) {
    Path p = absolute(raw, field);
    if (p.toString().getBytes(StandardCharsets.UTF_8).length > MAX_PATH - ROOM_BELOW_DIRECTORY) {
      throw bad(field, "is longer than " + (MAX_PATH - ROOM_BELOW_DIRECTORY)
          + " bytes, leaving no room for the files written below it");
    }
    return creatable(p, field);
  }

  /** Checks a file the worker creates (its folder included). */
  public static Path file(String raw, String field) {
    Path p = absolute(raw, field);
    if (p.getFileName() == null || p.getParent() == null) {
      throw bad(field, "'" + p + "' does not name a file");
    }
    if (p.toString().getBytes(StandardCharsets.UTF_8).length > MAX_PATH - 32) {
      throw bad(field, "is longer than " + (MAX_PATH - 32) + " bytes, leaving no room for its backup");
    }
    return creatable(p, field);
  }

  /** Refuses a path below an existing file: its folder could never be created. */
  private static Path creatable(Path p, String field) {
    for (Path a = p.getParent(); a != null; a = a.getParent()) {
      if (Files.exists(a)) {
        if (!Files.isDirectory(a)) {
          throw bad(field, "'" + a + "' exists and is not a directory, so '" + p + "' cannot be created");
        }
        break;
      }
    }
    return p;
  }

  private static WorkerException bad(String field, String message) {
    return WorkerException.badInput(ConfigCodes.INVALID_PATH, field, message);
  }
}
