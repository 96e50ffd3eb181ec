package io.kubeforge.worker.kube;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The test vectors of cluster-bootstrap's jws_test.go, and one of our own over a kubeconfig. */
class ClusterInfoJwsTest {
  private static final String CONTENT = "Hello from the other side. I must have called a thousand times.";
  private static final String SECRET = "my voice is my passcode";

  @Test
  void matchesTheBootstrapSignersVectors() {
    assertThat(ClusterInfoJws.sign(CONTENT, "joshua", SECRET))
        .isEqualTo("eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..VShe2taLd-YTrmWuRkcL_8QTNDHYxQIEBsAYYiIj1_8");
    assertThat(ClusterInfoJws.sign("", "joshua", SECRET))
        .isEqualTo("eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..7Ui1ALizW4jXphVUB7xUqC9vLYLL9RZeOFfVLoB7Tgk");
    assertThat(ClusterInfoJws.sign(CONTENT, "joshua", ""))
        .isEqualTo("eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..UfkqvDGiIFxrMnFseDj9LYJOLNrvjW8aHhF71mvvAs8");
  }

  @Test
  void signsAClusterInfoKubeconfigWithAKubeadmToken() {
    String kubeconfig = "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: Q0EK\n"
        + "    server: https://10.0.0.1:6443\n  name: \"\"\ncontexts: null\ncurrent-context: \"\"\nkind: Config\n"
        + "preferences: {}\nusers: null\n";
    assertThat(ClusterInfoJws.sign(kubeconfig, "abcdef", "0123456789abcdef"))
        .isEqualTo("eyJhbGciOiJIUzI1NiIsImtpZCI6ImFiY2RlZiJ9..r04v5QnL33X93dvJtYHY8IHG4cSr_poK1j83WUp0WUs");
  }

  @Test
  void verificationAcceptsOnlyTheExactSignature() {
    String good = "eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..VShe2taLd-YTrmWuRkcL_8QTNDHYxQIEBsAYYiIj1_8";
    assertThat(ClusterInfoJws.verify(CONTENT, good, "joshua", SECRET)).isTrue();
    assertThat(ClusterInfoJws.verify(CONTENT, good + "foo", "joshua", SECRET)).isFalse();
    assertThat(ClusterInfoJws.verify(CONTENT + " ", good, "joshua", SECRET)).isFalse();
    assertThat(ClusterInfoJws.verify(CONTENT, good, "joshua", "other secret")).isFalse();
    assertThat(ClusterInfoJws.verify(CONTENT, null, "joshua", SECRET)).isFalse();
  }

  @Test
  void checkSaysWhyASignatureIsRefusedAndAcceptsOnlyHs256ForTheTokensId() {
    String good = "eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..VShe2taLd-YTrmWuRkcL_8QTNDHYxQIEBsAYYiIj1_8";
    java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
    String none = b64.encodeToString("{\"alg\":\"none\",\"kid\":\"joshua\"}".getBytes()) + "..";
    String hs512 = b64.encodeToString("{\"alg\":\"HS512\",\"kid\":\"joshua\"}".getBytes()) + "..x";
    assertThat(ClusterInfoJws.check(CONTENT, good, "joshua", SECRET)).isEqualTo(ClusterInfoJws.Verdict.VALID);
    assertThat(ClusterInfoJws.check(CONTENT, good, "joshua", "wrong")).isEqualTo(ClusterInfoJws.Verdict.BAD_SIGNATURE);
    assertThat(ClusterInfoJws.check(CONTENT + "!", good, "joshua", SECRET)).isEqualTo(ClusterInfoJws.Verdict.BAD_SIGNATURE);
    assertThat(ClusterInfoJws.check(CONTENT, good, "abcdef", SECRET)).isEqualTo(ClusterInfoJws.Verdict.WRONG_KEY_ID);
    assertThat(ClusterInfoJws.check(CONTENT, none, "joshua", SECRET)).isEqualTo(ClusterInfoJws.Verdict.WRONG_ALGORITHM);
    assertThat(ClusterInfoJws.check(CONTENT, hs512, "joshua", SECRET)).isEqualTo(ClusterInfoJws.Verdict.WRONG_ALGORITHM);
    assertThat(ClusterInfoJws.algorithm(none)).isEqualTo("none");
    String attached = good.replace("..", "." + b64.encodeToString(CONTENT.getBytes()) + ".");
    for (String bad : new String[] {attached, "", "x", "not base64!..sig", good.replace("..", ".")}) {
      assertThat(ClusterInfoJws.check(CONTENT, bad, "joshua", SECRET)).as(bad).isEqualTo(ClusterInfoJws.Verdict.MALFORMED);
    }
  }
}
