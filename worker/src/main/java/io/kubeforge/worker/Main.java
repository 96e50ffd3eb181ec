package io.kubeforge.worker;

public final class Main {
  public static void main(String[] args) {
    System.out.println("kubeforge worker");
  }
}
