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
  void theFileLockLivesInThePrivateLockFolderAndLeavesTheLockedDirectoryAlone() throws Exception {
    Path work = Files.createDirectory(tmp.resolve("work"));
    DirLock.useLockFolder(tmp.resolve("locks"));
    try (DirLock jvm = DirLock.inJvm(work, 1, "t"); DirLock file = jvm.withFileLock(work)) {
      assertThat(file).isNotNull();
    }
    Path lock = DirLock.lockFileFor(work);
    assertThat(lock.getParent()).isEqualTo(tmp.resolve("locks"));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(lock.getParent()))).isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(lock))).isEqualTo("rw-------");
    assertThat(Files.size(lock)).isZero();
    try (var files = Files.list(work)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void theLockFileIsNotFollowedWhenItIsASymlink() throws Exception {
    Path work = Files.createDirectory(tmp.resolve("work"));
    DirLock.useLockFolder(tmp.resolve("locks"));
    Files.createDirectory(tmp.resolve("locks"));
    Path target = tmp.resolve("elsewhere");
    Files.createSymbolicLink(DirLock.lockFileFor(work), target);
    try (DirLock jvm = DirLock.inJvm(work, 1, "t")) {
      assertThatThrownBy(() -> jvm.withFileLock(work)).isInstanceOf(RuntimeException.class);
    }
    assertThat(target).doesNotExist();
  }

  @Test
  void aSymlinkedLockFolderIsRefused() throws Exception {
    Path work = Files.createDirectory(tmp.resolve("work"));
    Path real = Files.createDirectory(tmp.resolve("real-locks"));
    DirLock.useLockFolder(Files.createSymbolicLink(tmp.resolve("locks"), real));
    try (DirLock jvm = DirLock.inJvm(work, 1, "t")) {
      assertThatThrownBy(() -> jvm.withFileLock(work)).isInstanceOf(RuntimeException.class);
    }
  }

  @Test
  void twoSpellingsOfOneDirectoryShareALock() throws Exception {
    Path real = Files.createDirectory(tmp.resolve("real"));
    Path link = Files.createSymbolicLink(tmp.resolve("link"), real);
    assertThat(DirLock.realKey(link.resolve("pki"))).isEqualTo(DirLock.realKey(real.resolve("pki")));
    assertThat(DirLock.realKey(tmp.resolve("real/./x/../pki"))).isEqualTo(DirLock.realKey(real.resolve("pki")));
  }
}
