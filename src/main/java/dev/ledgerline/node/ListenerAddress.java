package dev.ledgerline.node;

import java.net.BindException;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Turns "address already in use" from any listener into a refusal that names its configuration key and address. */
public final class ListenerAddress {
  private ListenerAddress() {}

  /** True when the failure, or any cause of it, says the address is taken. */
  public static boolean inUse(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      String message = String.valueOf(t.getMessage());
      if (t instanceof BindException || message.contains("already in use")) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  /** For example {@code gateway.port 12080 on 127.0.0.1 is in use}. */
  public static NodeRefusedException refused(String key, String host, int port, Throwable cause) {
    return new NodeRefusedException(key + " " + port + " on " + host + " is in use", cause);
  }

  /** True when the host names only this machine (127.0.0.0/8, ::1, localhost); unknown names count as not. */
  public static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
