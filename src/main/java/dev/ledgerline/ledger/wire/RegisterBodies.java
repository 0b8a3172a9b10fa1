package dev.ledgerline.ledger.wire;

/** {@code vsr.RegisterRequest} (256 bytes, sent by 0.16 clients) and {@code vsr.RegisterResult} (64 bytes). */
final class RegisterBodies {
  static final int REGISTER_REQUEST_SIZE = 256;
  static final int REGISTER_RESULT_SIZE = 64;

  private RegisterBodies() {}

  /** A register body a 0.16 client may send: {@code batch_size_limit = 0} and zeroed reserved bytes (or none). */
  static boolean validRequest(byte[] body) {
    for (byte b : body) {
      if (b != 0) return false;
    }
    return true;
  }

  /** {@code RegisterResult{batch_size_limit}}: how many body bytes one request may carry. */
  static byte[] result(int batchSizeLimit) {
    byte[] b = new byte[REGISTER_RESULT_SIZE];
    for (int i = 0; i < 4; i++) b[i] = (byte) (batchSizeLimit >>> (8 * i));
    return b;
  }
}
