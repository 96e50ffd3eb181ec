package io.kubeforge.worker.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * KubeYaml writes a JSON-shaped tree (maps with string keys, lists, strings, integers,
 * booleans) byte for byte as Kubernetes writes objects to YAML: {@code sigs.k8s.io/yaml} turns
 * the JSON into go-yaml v2 values and go-yaml v2 emits them. That means: map keys sorted with
 * go-yaml's "natural" order (non-letters before letters, digit runs numerically), two-space
 * indentation, sequences inside mappings not indented, {@code {}} and {@code []} for empty
 * collections, strings plain unless they would read back as another type (then double-quoted,
 * {@code ""} for empty) or unless they cannot be plain (then single-quoted), and plain or quoted
 * scalars folded at spaces past column 80 (go-yaml v2's default width; Kubernetes never turns
 * it off). Null map values are dropped, as {@code omitempty} would.
 */
public final class KubeYaml {
  private static final int BEST_WIDTH = 80;
  private static final Pattern INT = Pattern.compile("[-+]?(0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)");
  private static final Pattern FLOAT = Pattern.compile("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  private static final Pattern TIMESTAMP = Pattern.compile("\\d{4}-\\d{1,2}-\\d{1,2}([Tt ]\\d{1,2}:\\d{1,2}:\\d{1,2}.*)?");
  private static final Pattern BASE60 = Pattern.compile("[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\\.[0-9_]*)?");
  private static final java.util.Set<String> SPECIAL = java.util.Set.of(
      "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
      "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
      "", "~", "null", "Null", "NULL", ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF",
      "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", "<<");

  /**
   * An explicit {@code null} value: kept in a mapping and written as {@code null}, as Go writes
   * a nil pointer field without {@code omitempty} (a Java null is dropped instead).
   */
  public static final Object NULL = new Object() {
    @Override
    public String toString() {
      return "null";
    }
  };

  private final StringBuilder out = new StringBuilder();

  private KubeYaml() {}

  /** Renders one document; the result ends with a newline. */
  public static String render(Object tree) {
    KubeYaml y = new KubeYaml();
    if (tree instanceof Map<?, ?> m && !m.isEmpty()) {
      y.mapping(m, 0, false);
    } else if (tree instanceof List<?> l && !l.isEmpty()) {
      y.sequence(l, 0, false);
    } else {
      y.value(tree, 0);
      y.out.append('\n');
    }
    return y.out.toString();
  }

  /**
   * Sorts keys as go-yaml v2's {@code keyList.Less} does for string keys: non-letters before
   * letters, letters by code point, digit runs by value (then the shorter run first). go-yaml
   * compares from the first differing rune, which is not transitive when that rune is inside a
   * digit run ({@code a01 < a0a < a1 < a01}); Go's sort accepts that, Java's sort refuses it.
   * Here a key is compared as a sequence of tokens (a whole digit run, or one other rune), which
   * is a total order and agrees with go-yaml wherever the first difference starts a run.
   */
  public static int compareKeys(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      boolean da = Character.isDigit(ca);
      boolean db = Character.isDigit(cb);
      if (da && db) {
        int ea = runEnd(a, i);
        int eb = runEnd(b, j);
        int c = compareRuns(a, i, ea, b, j, eb);
        if (c != 0) {
          return c;
        }
        i = ea;
        j = eb;
        continue;
      }
      if (ca != cb) {
        int byKind = Integer.compare(rank(ca, da), rank(cb, db));
        return byKind != 0 ? byKind : Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Boolean.compare(i < a.length(), j < b.length());
  }

  /** Orders token kinds as go-yaml: other runes, then digit runs, then letters. */
  private static int rank(int cp, boolean digit) {
    return Character.isLetter(cp) ? 2 : digit ? 1 : 0;
  }

  private static int runEnd(String s, int from) {
    int k = from;
    while (k < s.length() && Character.isDigit(s.codePointAt(k))) {
      k += Character.charCount(s.codePointAt(k));
    }
    return k;
  }

  /** Compares two digit runs by value (any length), then the shorter run (fewer leading zeros) first. */
  private static int compareRuns(String a, int i, int ea, String b, int j, int eb) {
    String ra = a.substring(i, ea);
    String rb = b.substring(j, eb);
    java.math.BigInteger va = new java.math.BigInteger(digits(ra));
    java.math.BigInteger vb = new java.math.BigInteger(digits(rb));
    int c = va.compareTo(vb);
    if (c == 0) {
      c = Integer.compare(ra.length(), rb.length());
    }
    return c != 0 ? c : ra.compareTo(rb);
  }

  private static String digits(String run) {
    StringBuilder sb = new StringBuilder(run.length());
    run.codePoints().forEach(cp -> sb.append((char) ('0' + Character.digit(cp, 10))));
    return sb.toString();
  }

  private void mapping(Map<?, ?> map, int indent, boolean firstInline) {
    List<String> keys = new ArrayList<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (e.getValue() != null) {
        keys.add(String.valueOf(e.getKey()));
      }
    }
    keys.sort(KubeYaml::compareKeys);
    boolean first = true;
    for (String key : keys) {
      Object v = map.get(key);
      if (!(first && firstInline)) {
        pad(indent);
      }
      first = false;
      scalar(key, indent + 2, true);
      out.append(':');
      if (v instanceof Map<?, ?> m && !m.isEmpty()) {
        out.append('\n');
        mapping(m, indent + 2, false);
      } else if (v instanceof List<?> l && !l.isEmpty()) {
        out.append('\n');
        sequence(l, indent, false);
      } else {
        out.append(' ');
        value(v, indent + 2);
        out.append('\n');
      }
    }
  }

  private void sequence(List<?> list, int indent, boolean firstInline) {
    boolean first = true;
    for (Object item : list) {
      if (!(first && firstInline)) {
        pad(indent);
      }
      first = false;
      out.append("- ");
      if (item instanceof Map<?, ?> m && !m.isEmpty()) {
        mapping(m, indent + 2, true);
      } else if (item instanceof List<?> l && !l.isEmpty()) {
        sequence(l, indent + 2, true);
      } else {
        value(item, indent + 2);
        out.append('\n');
      }
    }
  }

  private void value(Object v, int contIndent) {
    if (v == null || v == NULL) {
      out.append("null");
    } else if (v instanceof Map<?, ?>) {
      out.append("{}");
    } else if (v instanceof List<?>) {
      out.append("[]");
    } else if (v instanceof Boolean || v instanceof Number) {
      out.append(v);
    } else {
      scalar(String.valueOf(v), contIndent, false);
    }
  }

  private void pad(int n) {
    out.append(" ".repeat(n));
  }

  private int column() {
    return out.length() - (out.lastIndexOf("\n") + 1);
  }

  /** Tells whether go-yaml's resolver would read {@code s}, unquoted, as something other than a string. */
  static boolean resolvesToNonString(String s) {
    if (SPECIAL.contains(s)) {
      return true;
    }
    char c = s.charAt(0);
    if (c == '.') {
      return FLOAT.matcher(s).matches();
    }
    if (c == '+' || c == '-' || (c >= '0' && c <= '9')) {
      if (TIMESTAMP.matcher(s).matches()) {
        return true;
      }
      String plain = s.replace("_", "");
      return INT.matcher(plain).matches() || FLOAT.matcher(plain).matches()
          || plain.matches("-0b[01]+");
    }
    return false;
  }

  private void scalar(String s, int contIndent, boolean simpleKey) {
    boolean canUsePlain = !resolvesToNonString(s) && !BASE60.matcher(s).matches();
    Analysis a = Analysis.of(s);
    if (s.indexOf('\n') >= 0 && !simpleKey && a.blockAllowed) {
      literal(s, contIndent);
      return;
    }
    if (!canUsePlain || (simpleKey && a.multiline)) {
      doubleQuoted(s, contIndent, !simpleKey);
      return;
    }
    if (a.blockPlainAllowed && !(s.isEmpty() && simpleKey)) {
      plain(s, contIndent, !simpleKey);
    } else if (a.singleQuotedAllowed) {
      singleQuoted(s, contIndent, !simpleKey);
    } else {
      doubleQuoted(s, contIndent, !simpleKey);
    }
  }

  private void breakTo(int indent) {
    out.append('\n');
    pad(indent);
  }

  private void plain(String s, int indent, boolean allowBreaks) {
    boolean spaces = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == ' ') {
        if (allowBreaks && !spaces && column() > BEST_WIDTH && !(i + 1 < s.length() && s.charAt(i + 1) == ' ')) {
          breakTo(indent);
        } else {
          out.append(c);
        }
        spaces = true;
      } else {
        out.append(c);
        spaces = false;
      }
    }
  }

  private void singleQuoted(String s, int indent, boolean allowBreaks) {
    out.append('\'');
    boolean spaces = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == ' ') {
        if (allowBreaks && !spaces && column() > BEST_WIDTH && i > 0 && i < s.length() - 1
            && s.charAt(i + 1) != ' ') {
          breakTo(indent);
        } else {
          out.append(c);
        }
        spaces = true;
      } else {
        if (c == '\'') {
          out.append('\'');
        }
        out.append(c);
        spaces = false;
      }
    }
    out.append('\'');
  }

  private void doubleQuoted(String s, int indent, boolean allowBreaks) {
    out.append('"');
    boolean spaces = false;
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      int w = Character.charCount(cp);
      if (!printable(cp) || cp == '"' || cp == '\\' || cp == '\n' || cp == '\r' || cp == 0x85
          || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF) {
        out.append('\\');
        switch (cp) {
          case 0 -> out.append('0');
          case 7 -> out.append('a');
          case 8 -> out.append('b');
          case 9 -> out.append('t');
          case 10 -> out.append('n');
          case 11 -> out.append('v');
          case 12 -> out.append('f');
          case 13 -> out.append('r');
          case 0x1b -> out.append('e');
          case '"' -> out.append('"');
          case '\\' -> out.append('\\');
          case 0x85 -> out.append('N');
          case 0xA0 -> out.append('_');
          case 0x2028 -> out.append('L');
          case 0x2029 -> out.append('P');
          default -> {
            if (cp <= 0xFF) {
              out.append('x').append(String.format("%02X", cp));
            } else if (cp <= 0xFFFF) {
              out.append('u').append(String.format("%04X", cp));
            } else {
              out.append('U').append(String.format("%08X", cp));
            }
          }
        }
        spaces = false;
      } else if (cp == ' ') {
        if (allowBreaks && !spaces && column() > BEST_WIDTH && i > 0 && i < s.length() - 1) {
          breakTo(indent);
          if (i + 1 < s.length() && s.charAt(i + 1) == ' ') {
            out.append('\\');
          }
        } else {
          out.append(' ');
        }
        spaces = true;
      } else {
        out.appendCodePoint(cp);
        spaces = false;
      }
      i += w;
    }
    out.append('"');
  }

  private void literal(String s, int indent) {
    out.append('|');
    if (s.startsWith(" ") || s.startsWith("\n")) {
      out.append(2);
    }
    if (!s.endsWith("\n")) {
      out.append('-');
    } else if (s.length() == 1 || s.charAt(s.length() - 2) == '\n') {
      out.append('+');
    }
    String body = s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    for (String line : body.split("\n", -1)) {
      out.append('\n');
      if (!line.isEmpty()) {
        pad(indent);
        out.append(line);
      }
    }
  }

  private static boolean printable(int cp) {
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0x7E) || cp == 0x85
        || (cp >= 0xA0 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD && cp != 0xFEFF)
        || (cp >= 0x10000 && cp <= 0x10FFFF);
  }

  /** The subset of libyaml's scalar analysis the emitter needs (block context only). */
  private record Analysis(boolean multiline, boolean blockPlainAllowed, boolean singleQuotedAllowed,
                          boolean blockAllowed) {
    static Analysis of(String s) {
      if (s.isEmpty()) {
        return new Analysis(false, true, true, false);
      }
      boolean blockIndicators = s.startsWith("---") || s.startsWith("...");
      boolean lineBreaks = false;
      boolean special = false;
      boolean leadingSpace = false;
      boolean leadingBreak = false;
      boolean trailingSpace = false;
      boolean trailingBreak = false;
      boolean breakSpace = false;
      boolean spaceBreak = false;
      boolean previousSpace = false;
      boolean previousBreak = false;
      boolean precededByWhitespace = true;
      int n = s.length();
      for (int i = 0; i < n; i++) {
        char c = s.charAt(i);
        boolean followedByWhitespace = i + 1 >= n || isBlank(s.charAt(i + 1));
        if (i == 0) {
          switch (c) {
            case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`' ->
                blockIndicators = true;
            case '?', ':', '-' -> {
              if (followedByWhitespace) {
                blockIndicators = true;
              }
            }
            default -> { }
          }
        } else {
          if (c == ':' && followedByWhitespace) {
            blockIndicators = true;
          }
          if (c == '#' && precededByWhitespace) {
            blockIndicators = true;
          }
        }
        if (!Character.isSurrogate(c) && !printable(c)) {
          special = true;
        }
        if (c == ' ') {
          leadingSpace |= i == 0;
          trailingSpace |= i == n - 1;
          breakSpace |= previousBreak;
          previousSpace = true;
          previousBreak = false;
        } else if (c == '\n' || c == '\r' || c == 0x85 || c == 0x2028 || c == 0x2029) {
          lineBreaks = true;
          leadingBreak |= i == 0;
          trailingBreak |= i == n - 1;
          spaceBreak |= previousSpace;
          previousSpace = false;
          previousBreak = true;
        } else {
          previousSpace = false;
          previousBreak = false;
        }
        precededByWhitespace = isBlank(c) || c == '\n' || c == '\r';
      }
      boolean plain = true;
      boolean single = true;
      boolean block = true;
      if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) {
        plain = false;
      }
      if (trailingSpace) {
        block = false;
      }
      if (breakSpace) {
        plain = false;
        single = false;
      }
      if (spaceBreak || special) {
        plain = false;
        single = false;
        block = false;
      }
      if (lineBreaks || blockIndicators) {
        plain = false;
      }
      return new Analysis(lineBreaks, plain, single, block);
    }

    private static boolean isBlank(char c) {
      return c == ' ' || c == '\t';
    }
  }
}
