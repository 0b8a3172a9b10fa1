package dev.ledgerline.gateway.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** HTTP/1.1 over a plain socket, for requests no well-behaved client would send. */
final class RawHttp implements AutoCloseable {
  /** A response, or how the connection ended without one. */
  record Answer(int status, Map<String, String> headers, String body, boolean closedWithoutAnswer, boolean hung) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    boolean problemJson() {
      return "application/problem+json".equals(header("content-type"));
    }

    @Override
    public String toString() {
      return hung ? "no answer within the deadline" : closedWithoutAnswer ? "closed without an answer"
          : status + " " + header("content-type") + " " + body;
    }
  }

  final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  RawHttp(int port, int readTimeoutMillis) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(readTimeoutMillis);
    socket.setTcpNoDelay(true);
    in = socket.getInputStream();
    out = socket.getOutputStream();
  }

  void send(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  void send(String text) throws IOException {
    send(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** Reads one response: head, then a Content-Length or chunked body; 1xx answers are returned as they come. */
  Answer read() throws IOException {
    try {
      String head = readHead();
      if (head == null) {
        return new Answer(0, Map.of(), "", true, false);
      }
      String[] lines = head.split("\r\n");
      int status = Integer.parseInt(lines[0].split(" ")[1]);
      Map<String, String> headers = new TreeMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
      }
      if (status < 200 || status == 101) {
        return new Answer(status, headers, "", false, false);
      }
      byte[] body;
      if (headers.containsKey("content-length")) {
        body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
      } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
          int size = Integer.parseInt(readLine().trim(), 16);
          if (size == 0) {
            readLine();
            break;
          }
          b.write(in.readNBytes(size));
          readLine();
        }
        body = b.toByteArray();
      } else {
        body = new byte[0];
      }
      return new Answer(status, headers, new String(body, StandardCharsets.UTF_8), false, false);
    } catch (SocketTimeoutException e) {
      return new Answer(0, Map.of(), "", false, true);
    } catch (java.net.SocketException e) {
      // A reset after the server closed is a close, not a hang.
      return new Answer(0, Map.of(), "", true, false);
    }
  }

  /** Whether the server closed the connection (end of stream) within the read timeout. */
  boolean closedByServer() throws IOException {
    try {
      while (true) {
        if (in.read() < 0) {
          return true;
        }
      }
    } catch (SocketTimeoutException e) {
      return false;
    } catch (java.net.SocketException e) {
      return true;
    }
  }

  private String readHead() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int state = 0;
    while (state < 4) {
      int c = in.read();
      if (c < 0) {
        return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
      }
      b.write(c);
      state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1
          : c == '\r' ? 1 : 0;
    }
    String s = b.toString(StandardCharsets.ISO_8859_1);
    return s.substring(0, s.length() - 4);
  }

  private String readLine() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0 && c != '\n') {
      if (c != '\r') {
        b.write(c);
      }
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  InputStream input() {
    return in;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
