package io.kubeforge.worker.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Flags turns a component's default flags and the user's extra flags into a command line,
 * exactly as kubeadm 1.34's {@code ArgumentsToCommand}: the defaults are sorted by name, then
 * value; every default whose name the user also gives is dropped (all occurrences); the user's
 * flags follow in the order given; each renders as {@code --name=value}.
 */
public final class Flags {
  private static final Comparator<Arg> BY_NAME_THEN_VALUE =
      Comparator.comparing(Arg::name).thenComparing(Arg::value);

  private Flags() {}

  /** Builds {@code [binary, --flags...]} from defaults ⊕ extra. */
  public static List<String> command(String binary, List<Arg> defaults, List<Arg> extra) {
    List<Arg> base = new ArrayList<>(defaults);
    base.sort(BY_NAME_THEN_VALUE);
    Set<String> overridden = new HashSet<>();
    extra.forEach(a -> overridden.add(a.name()));
    List<String> cmd = new ArrayList<>();
    cmd.add(binary);
    for (Arg a : base) {
      if (!overridden.contains(a.name())) {
        cmd.add("--" + a.name() + "=" + a.value());
      }
    }
    for (Arg a : extra) {
      cmd.add("--" + a.name() + "=" + a.value());
    }
    return cmd;
  }

  /** Sets a flag in a default list: replaces the first occurrence's value or appends it (kubeadm's SetArgValues(.., 1)). */
  public static void set(List<Arg> args, String name, String value) {
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i).name().equals(name)) {
        args.set(i, new Arg(name, value));
        return;
      }
    }
    args.add(new Arg(name, value));
  }
}
