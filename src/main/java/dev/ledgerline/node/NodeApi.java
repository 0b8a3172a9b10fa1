package dev.ledgerline.node;

import dev.ledgerline.infra.BusCodec;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The node's own event-bus contract: who is in the cluster and what each node runs. */
public final class NodeApi {
  /** Request/reply: any node answers with its {@link NodeInfo}. */
  public static final String INFO = "node.info";

  private NodeApi() {}

  /** What a node says about itself. */
  public record NodeInfo(String nodeId, List<String> roles, long startedAtMillis) {
    public NodeInfo {
      roles = List.copyOf(roles);
    }
  }

  public static void registerCodecs(EventBus bus) {
    bus.registerDefaultCodec(NodeInfo.class, NODE_INFO_CODEC);
  }

  /** Binary wire form: length-prefixed UTF-8 strings, the role count, then the start time. */
  static final BusCodec<NodeInfo> NODE_INFO_CODEC = new BusCodec<>("ledgerline.node-info", NodeApi::writeInfo,
      NodeApi::readInfo);

  private static void writeInfo(Buffer buffer, NodeInfo info) {
    writeString(buffer, info.nodeId());
    buffer.appendInt(info.roles().size());
    info.roles().forEach(r -> writeString(buffer, r));
    buffer.appendLong(info.startedAtMillis());
  }

  private static NodeInfo readInfo(int pos, Buffer buffer) {
    int[] p = {pos};
    String id = readString(buffer, p);
    int n = buffer.getInt(p[0]);
    p[0] += 4;
    List<String> roles = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      roles.add(readString(buffer, p));
    }
    return new NodeInfo(id, roles, buffer.getLong(p[0]));
  }

  private static void writeString(Buffer b, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    b.appendInt(bytes.length).appendBytes(bytes);
  }

  private static String readString(Buffer b, int[] pos) {
    int len = b.getInt(pos[0]);
    String s = b.getString(pos[0] + 4, pos[0] + 4 + len, "UTF-8");
    pos[0] += 4 + len;
    return s;
  }
}
