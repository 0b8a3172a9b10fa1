package dev.ledgerline.ledger.wire;

import dev.ledgerline.ledger.model.UInt128;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A {@link WireProtocol} over a scripted ledger, with a recording peer and a client that builds requests as the
 * official one does (register, then requests chained to the last reply's context). For protocol and fuzz tests.
 */
final class WireClientStub {
  static final UInt128 CLUSTER = UInt128.of(7, 0);

  /** What the protocol sent or did to one connection. */
  static final class RecordingPeer implements WireProtocol.Peer {
    final List<WireHeader> sent = new ArrayList<>();
    final List<byte[]> bodies = new ArrayList<>();
    String closed;

    @Override
    public void send(WireHeader header, byte[] body) {
      sent.add(header);
      bodies.add(body);
    }

    @Override
    public void close(String why) {
      closed = why;
    }

    @Override
    public boolean isOpen() {
      return closed == null;
    }

    WireHeader last() {
      return sent.get(sent.size() - 1);
    }
  }

  /** Echoes the body as the result; holds the answer back while {@code hold} is set. */
  static final class ScriptedLedger implements WireProtocol.Ledger {
    final List<Integer> executed = new ArrayList<>();
    boolean hold;
    final List<Runnable> held = new ArrayList<>();

    @Override
    public void execute(int operation, byte[] body, Consumer<byte[]> done, Runnable notExecuted) {
      executed.add(operation);
      Runnable answer = () -> done.accept(operation == WireOperations.CREATE_TRANSFERS ? new byte[0] : body);
      if (hold) {
        held.add(answer);
      } else {
        answer.run();
      }
    }

    void release() {
      List<Runnable> now = new ArrayList<>(held);
      held.clear();
      now.forEach(Runnable::run);
    }
  }

  final ScriptedLedger ledger = new ScriptedLedger();
  final WireProtocol protocol;
  final RecordingPeer peer = new RecordingPeer();
  final UInt128 client;
  long session;
  long request;
  UInt128 parent = UInt128.ZERO;
  private long clock = 1_000_000_000L;

  WireClientStub(long clientId) {
    this(clientId, WireHeader.MESSAGE_SIZE_MAX);
  }

  WireClientStub(long clientId, int requestSizeLimit) {
    this(clientId, requestSizeLimit, 4);
  }

  WireClientStub(long clientId, int requestSizeLimit, int clientsMax) {
    this.protocol = new WireProtocol(CLUSTER, ledger, requestSizeLimit, clientsMax, () -> clock += 1000);
    this.client = UInt128.of(clientId, 0);
  }

  WireHeader register() {
    WireHeader h = WireHeader.request(CLUSTER, WireProtocol.RELEASE, client, UInt128.ZERO, 0, 0,
        WireHeader.OPERATION_REGISTER, new byte[RegisterBodies.REGISTER_REQUEST_SIZE]);
    protocol.handle(peer, h, new byte[RegisterBodies.REGISTER_REQUEST_SIZE]);
    WireHeader reply = peer.last();
    session = reply.commit();
    parent = reply.context();
    return h;
  }

  /** Registers another client, on a connection of its own, with this stub's protocol (filling its client table). */
  void registerOther(long clientId) {
    protocol.handle(new RecordingPeer(), WireHeader.request(CLUSTER, WireProtocol.RELEASE, UInt128.of(clientId),
        UInt128.ZERO, 0, 0, WireHeader.OPERATION_REGISTER, new byte[0]), new byte[0]);
  }

  /** The next request in the chain (not sent). */
  WireHeader next(int operation, byte[] body) {
    return WireHeader.request(CLUSTER, WireProtocol.RELEASE, client, parent, session, request + 1, operation, body);
  }

  /** Sends a request; when a reply to it came back, advances the chain as the client does. */
  void send(WireHeader h, byte[] body) {
    int before = peer.sent.size();
    protocol.handle(peer, h, body);
    for (int i = before; i < peer.sent.size(); i++) {
      WireHeader r = peer.sent.get(i);
      if (r.command() == WireHeader.REPLY_COMMAND && r.requestChecksum().equals(h.checksum())) {
        request = h.request();
        parent = r.context();
      }
    }
  }
}
