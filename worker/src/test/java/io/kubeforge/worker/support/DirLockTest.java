package io.kubeforge.worker.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirLockTest {
  @TempDir
  Path tmp;

  @Test
  void aSecondHolderWaitsAndTimesOutAsBusy() throws Exception {
    try (DirLock held = DirLock.inJvm(tmp, 1, "t")) {
      assertThat(held).isNotNull();
      CompletableFuture<Throwable> other = CompletableFuture.supplyAsync(() -> {
        try (DirLock second = DirLock.inJvm(tmp, 0, "t")) {
          return second == null ? null : new AssertionError("second holder got the lock");
        } catch (WorkerException e) {
          return e;
        }
      });
      Throwable t = other.get(5, TimeUnit.SECONDS);
      assertThat(t).isInstanceOfSatisfying(WorkerException.class, e -> assertThat(e.code()).isEqualTo("t.busy"));
    }
    try (DirLock again = DirLock.inJvm(tmp, 0, "t")) {
      assertThat(again).isNotNull();
    }
  }

  @Test
  void theFileLockCreatesAPrivateLockFileOnce() throws Exception {
    try (DirLock jvm = DirLock.inJvm(tmp, 1, "t"); DirLock file = jvm.withFileLock(tmp)) {
      assertThat(file).isNotNull();
    }
    Path lock = tmp.resolve(DirLock.LOCK_FILE);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(lock))).isEqualTo("rw-------");
    assertThat(Files.size(lock)).isZero();
  }

  @Test
  void theLockFileIsNotFollowedWhenItIsASymlink() throws Exception {
    Path target = tmp.resolve("elsewhere");
    Files.createSymbolicLink(tmp.resolve(DirLock.LOCK_FILE), target);
    try (DirLock jvm = DirLock.inJvm(tmp, 1, "t")) {
      assertThatThrownBy(() -> jvm.withFileLock(tmp)).isInstanceOf(RuntimeException.class);
    }
    assertThat(target).doesNotExist();
  }

  @Test
  void twoSpellingsOfOneDirectoryShareALock() throws Exception {
    Path real = Files.createDirectory(tmp.resolve("real"));
    Path link = Files.createSymbolicLink(tmp.resolve("link"), real);
    assertThat(DirLock.realKey(link.resolve("pki"))).isEqualTo(DirLock.realKey(real.resolve("pki")));
    assertThat(DirLock.realKey(tmp.resolve("real/./x/../pki"))).isEqualTo(DirLock.realKey(real.resolve("pki")));
  }
}
