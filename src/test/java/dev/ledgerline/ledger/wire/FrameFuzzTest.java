package dev.ledgerline.ledger.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.ledger.model.UInt128;
import io.vertx.core.buffer.Buffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random and mutated frames, fed as a connection would feed them, never throw anything but a malformed-frame refusal
 * (which closes that connection) and never disturb a session: afterwards the legitimate client's retry still gets its
 * cached reply, its next request runs exactly once, and nothing the fuzzer sent was executed for it.
 */
class FrameFuzzTest {
  private static final long SEED = Long.getLong("wire.fuzz.seed", 20261205L);

  /** Feeds bytes in random chunks to a fresh connection's parser; returns whether it refused the stream. */
  private static boolean connection(WireProtocol protocol, byte[] stream, Random random) {
    FrameParser parser = new FrameParser(WireClientStub.CLUSTER);
    WireClientStub.RecordingPeer peer = new WireClientStub.RecordingPeer();
    int at = 0;
    try {
      while (at < stream.length && peer.isOpen()) {
        int n = Math.min(stream.length - at, 1 + random.nextInt(600));
        parser.feed(Buffer.buffer().appendBytes(stream, at, n), f -> {
          if (peer.isOpen()) protocol.handle(peer, f.header(), f.body());
        });
        at += n;
      }
      return !peer.isOpen();
    } catch (FrameParser.MalformedFrameException e) {
      return true;
    }
  }

  private static byte[] frame(WireHeader h, byte[] body) {
    return Buffer.buffer(h.bytes()).appendBytes(body).getBytes();
  }

  @Test
  void randomAndMutatedFramesNeverCrashNorCorruptASession() {
    Random random = new Random(SEED);
    WireClientStub victim = new WireClientStub(1, WireHeader.MESSAGE_SIZE_MAX, 100_000);
    victim.register();
    byte[] ids = new byte[48];
    WireHeader last = victim.next(WireOperations.LOOKUP_TRANSFERS, ids);
    victim.send(last, ids);
    WireHeader lastReply = victim.peer.last();
    int executed = victim.ledger.executed.size();
    WireHeader next = victim.next(WireOperations.CREATE_TRANSFERS, new byte[256]);

    // Valid frames of other clients and of the victim (stale retries, forged chains) to mutate.
    byte[][] seeds = {
        frame(WireHeader.ping(WireClientStub.CLUSTER, WireProtocol.RELEASE, UInt128.of(9), 3), new byte[0]),
        frame(WireHeader.request(WireClientStub.CLUSTER, WireProtocol.RELEASE, UInt128.of(9), UInt128.ZERO, 0, 0,
            WireHeader.OPERATION_REGISTER, new byte[256]), new byte[256]),
        frame(last, ids),
        frame(next, new byte[256]),
    };
    int refused = 0;
    for (int round = 0; round < 3000; round++) {
      byte[] stream;
      if (round % 3 == 0) {
        stream = new byte[random.nextInt(2048)];
        random.nextBytes(stream);
      } else {
        stream = seeds[random.nextInt(seeds.length)].clone();
        int flips = 1 + random.nextInt(4);
        for (int i = 0; i < flips; i++) stream[random.nextInt(stream.length)] ^= (byte) (1 << random.nextInt(8));
        if (round % 3 == 2) {
          // Re-seal the mutated header so that the mutation reaches the protocol instead of the checksum check.
          byte[] header = java.util.Arrays.copyOf(stream, WireHeader.SIZE);
          WireHeader.wrap(header).calculateChecksum().put(stream, 0);
        }
      }
      if (connection(victim.protocol, stream, random)) refused++;
    }
    assertThat(refused).isPositive();

    // A mutation that re-sealed the victim's next request unchanged may have run it (once); nothing else ran.
    int ran = victim.ledger.executed.size() - executed;
    assertThat(ran).isLessThanOrEqualTo(1);
    int sent = victim.peer.sent.size();
    victim.send(last, ids);
    if (ran == 0) {
      assertThat(victim.peer.last().bytes()).as("the retry of the last request gets its reply").isEqualTo(
          lastReply.bytes());
    } else {
      assertThat(victim.peer.sent).as("a retry older than the last request is ignored").hasSize(sent);
    }
    victim.send(next, new byte[256]);
    victim.send(next, new byte[256]);
    assertThat(victim.ledger.executed.subList(executed, victim.ledger.executed.size()))
        .containsExactly(WireOperations.CREATE_TRANSFERS);
    assertThat(victim.peer.last().command()).isEqualTo(WireHeader.REPLY_COMMAND);
    assertThat(victim.peer.last().requestChecksum()).isEqualTo(next.checksum());
  }
}
