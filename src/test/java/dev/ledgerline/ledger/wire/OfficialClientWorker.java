package dev.ledgerline.ledger.wire;

import com.tigerbeetle.AccountBatch;
import com.tigerbeetle.Client;
import com.tigerbeetle.CreateTransferResultBatch;
import com.tigerbeetle.IdBatch;
import com.tigerbeetle.TransferBatch;
import com.tigerbeetle.UInt128;
import dev.ledgerline.ledger.conformance.ConformanceRunner;
import dev.ledgerline.ledger.tigerbeetle.IsolatedCaseBackend;
import dev.ledgerline.ledger.tigerbeetle.TigerBeetleBackend;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the official TigerBeetle Java client against a node's wire listener, in a JVM of its own: a wrong reply makes
 * the client's native code panic (the JVM aborts) or retry forever, and {@link OfficialClientTest} watches for both.
 * Prints {@code RESULT ok} and exits 0 when every check held.
 */
public final class OfficialClientWorker {
  private OfficialClientWorker() {}

  public static void main(String[] args) throws Exception {
    String scenario = args[0];
    int port = Integer.parseInt(args[1]);
    String address = "127.0.0.1:" + port;
    boolean ok = switch (scenario) {
      case "conformance" -> conformance(address, args.length > 2 ? args[2] : "");
      case "batching" -> batching(address);
      case "retry" -> killedConnection(port);
      case "eviction" -> evicted(port);
      default -> throw new IllegalArgumentException(scenario);
    };
    System.out.println(ok ? "RESULT ok" : "RESULT failed");
    System.out.flush();
    // The client's native thread must not keep a finished run alive.
    Runtime.getRuntime().halt(ok ? 0 : 1);
  }

  /** The conformance corpus through {@code TigerBeetleBackend}: every directory given, ':'-separated. */
  private static boolean conformance(String address, String dirs) throws Exception {
    int failed = 0;
    int passed = 0;
    try (TigerBeetleBackend tb = TigerBeetleBackend.open(dev.ledgerline.ledger.model.UInt128.ZERO,
        List.of(address))) {
      for (String dir : dirs.split(java.io.File.pathSeparator)) {
        if (dir.isEmpty() || !Files.isDirectory(Path.of(dir))) continue;
        ConformanceRunner.Summary s = new ConformanceRunner(d -> IsolatedCaseBackend.open(tb), 60)
            .runDirectory(Path.of(dir), System.out);
        failed += s.failed();
        passed += s.passed();
      }
    }
    System.out.println("conformance: " + passed + " passed, " + failed + " failed");
    return failed == 0 && passed > 0;
  }

  private static AccountBatch accounts(long... ids) {
    AccountBatch a = new AccountBatch(ids.length);
    for (long id : ids) {
      a.add();
      a.setId(id, 0);
      a.setLedger(1);
      a.setCode(1);
    }
    return a;
  }

  private static void addTransfer(TransferBatch tr, long id, long debit, long credit, long amount) {
    tr.add();
    tr.setId(id, 0);
    tr.setDebitAccountId(debit, 0);
    tr.setCreditAccountId(credit, 0);
    tr.setAmount(amount);
    tr.setLedger(1);
    tr.setCode(1);
  }

  /**
   * 64 threads each send transfers one call at a time: the client merges concurrent calls into one request and
   * splits the results by call, which needs results in ascending index order.
   */
  private static boolean batching(String address) throws Exception {
    int threads = 64;
    int perThread = 50;
    long base = System.nanoTime() & 0xFFFFFFFFL;
    try (Client client = new Client(UInt128.asBytes(0), new String[] {address})) {
      long debit = base << 20;
      long credit = debit + 1;
      if (client.createAccounts(accounts(debit, credit)).getLength() != 0) return false;
      AtomicInteger wrong = new AtomicInteger();
      CountDownLatch start = new CountDownLatch(1);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      List<CompletableFuture<Void>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        done.add(CompletableFuture.runAsync(() -> {
          try {
            start.await();
            for (int i = 0; i < perThread; i++) {
              TransferBatch tr = new TransferBatch(2);
              long id = debit + 2 + (long) thread * perThread * 2 + i * 2L;
              addTransfer(tr, id, debit, credit, 1);
              // The second one fails (same id, other amount): each call must get back exactly its own failure.
              addTransfer(tr, id, debit, credit, 2);
              CreateTransferResultBatch r = client.createTransfers(tr);
              if (r.getLength() != 1 || !r.next() || r.getIndex() != 1
                  || r.getResult() != com.tigerbeetle.CreateTransferResult.ExistsWithDifferentAmount) {
                wrong.incrementAndGet();
              }
            }
          } catch (Exception e) {
            e.printStackTrace(System.out);
            wrong.incrementAndGet();
          }
        }, pool));
      }
      start.countDown();
      CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
      pool.shutdown();
      IdBatch ids = new IdBatch(1);
      ids.add();
      ids.setId(credit, 0);
      AccountBatch found = client.lookupAccounts(ids);
      found.next();
      long posted = found.getCreditsPosted().longValue();
      System.out.println("batching: " + wrong.get() + " wrong replies, credits posted " + posted);
      return wrong.get() == 0 && posted == (long) threads * perThread;
    }
  }

  /**
   * A proxy between the client and the node drops the connection after the node has received the first
   * create_transfers request and before its reply reaches the client. The client reconnects and resends the request;
   * the node must answer it from the session's cached reply: one transfer, and the client sees {@code ok}, not
   * {@code exists}.
   */
  private static boolean killedConnection(int port) throws Exception {
    AtomicBoolean killed = new AtomicBoolean();
    try (ServerSocket proxy = new ServerSocket()) {
      proxy.bind(new InetSocketAddress("127.0.0.1", 0));
      Thread acceptor = new Thread(() -> {
        while (!proxy.isClosed()) {
          try {
            Socket client = proxy.accept();
            Socket server = new Socket("127.0.0.1", port);
            pipe(client.getInputStream(), server.getOutputStream(), client, server, killed, true);
            pipe(server.getInputStream(), client.getOutputStream(), client, server, killed, false);
          } catch (IOException e) {
            return;
          }
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      try (Client client = new Client(UInt128.asBytes(0), new String[] {"127.0.0.1:" + proxy.getLocalPort()})) {
        long debit = (System.nanoTime() & 0xFFFFFFFFL) << 20;
        if (client.createAccounts(accounts(debit, debit + 1)).getLength() != 0) return false;
        TransferBatch tr = new TransferBatch(1);
        addTransfer(tr, debit + 2, debit, debit + 1, 7);
        CreateTransferResultBatch r = client.createTransfers(tr);
        IdBatch ids = new IdBatch(1);
        ids.add();
        ids.setId(debit + 1, 0);
        AccountBatch found = client.lookupAccounts(ids);
        found.next();
        long posted = found.getCreditsPosted().longValue();
        System.out.println("retry: connection killed " + killed.get() + ", failures " + r.getLength()
            + ", credits posted " + posted);
        return killed.get() && r.getLength() == 0 && posted == 7;
      }
    }
  }

  /**
   * 64 other sessions register (over a plain socket, as a client would) and fill the client table: the official
   * client's session has the oldest reply and is evicted. Its next request must fail with {@code ClientEvicted}, not
   * panic the client nor hang it.
   */
  private static boolean evicted(int port) throws Exception {
    try (Client client = new Client(UInt128.asBytes(0), new String[] {"127.0.0.1:" + port})) {
      long id = (System.nanoTime() & 0xFFFFFFFFL) << 20;
      if (client.createAccounts(accounts(id)).getLength() != 0) return false;
      try (Socket socket = new Socket("127.0.0.1", port)) {
        byte[] reply = new byte[WireHeader.SIZE + 64];
        for (int i = 0; i < WireProtocol.CLIENTS_MAX; i++) {
          byte[] body = new byte[256];
          WireHeader register = WireHeader.request(dev.ledgerline.ledger.model.UInt128.ZERO, WireProtocol.RELEASE,
              dev.ledgerline.ledger.model.UInt128.of(id + i + 1, 77), dev.ledgerline.ledger.model.UInt128.ZERO, 0, 0,
              WireHeader.OPERATION_REGISTER, body);
          socket.getOutputStream().write(register.bytes());
          socket.getOutputStream().write(body);
          if (!readFully(socket.getInputStream(), reply, reply.length)) return false;
        }
      }
      IdBatch ids = new IdBatch(1);
      ids.add(id, 0);
      try {
        client.lookupAccounts(ids);
        System.out.println("eviction: the request was answered after the session was evicted");
        return false;
      } catch (com.tigerbeetle.RequestException e) {
        System.out.println("eviction: " + e.getStatus());
        return e.getStatus() == com.tigerbeetle.PacketStatus.ClientEvicted.value;
      }
    }
  }

  /**
   * Copies one direction, message by message. The node-to-client side drops the first create_transfers reply and
   * closes both sockets instead of forwarding it: the node has executed the request, the client never heard.
   */
  private static void pipe(InputStream in, OutputStream out, Socket a, Socket b, AtomicBoolean killed,
      boolean fromClient) {
    Thread t = new Thread(() -> {
      byte[] header = new byte[WireHeader.SIZE];
      try {
        while (true) {
          if (!readFully(in, header, WireHeader.SIZE)) break;
          WireHeader h = WireHeader.wrap(header.clone());
          byte[] body = new byte[(int) h.size() - WireHeader.SIZE];
          if (!readFully(in, body, body.length)) break;
          boolean transferReply = !fromClient && h.command() == WireHeader.REPLY_COMMAND
              && body.length == 0 && header[236] == (byte) WireOperations.CREATE_TRANSFERS;
          if (transferReply && killed.compareAndSet(false, true)) break;
          out.write(header);
          out.write(body);
          out.flush();
        }
      } catch (IOException e) {
        // The other direction closed the sockets.
      }
      try {
        a.close();
        b.close();
      } catch (IOException ignored) {
        // already closed
      }
    });
    t.setDaemon(true);
    t.start();
  }

  private static boolean readFully(InputStream in, byte[] b, int n) throws IOException {
    int off = 0;
    while (off < n) {
      int r = in.read(b, off, n - off);
      if (r < 0) return false;
      off += r;
    }
    return true;
  }
}
