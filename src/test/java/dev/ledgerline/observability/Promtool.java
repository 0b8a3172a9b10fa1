package dev.ledgerline.observability;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Runs Prometheus's {@code promtool} (Debian package {@code prometheus}) when it is on PATH. */
final class Promtool {
  private Promtool() {}

  record Result(int exit, String output) {}

  static Path find() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      Path p = Path.of(dir, "promtool");
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  /** Skips the calling test, saying why, when promtool is not installed. */
  static void assumePresent() {
    Assumptions.assumeTrue(find() != null, "promtool is not on PATH (Debian: apt-get install prometheus); skipped");
  }

  /** Runs promtool with {@code args}, writing {@code stdin} (null: none) to it. */
  static Result run(String stdin, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(find().toString());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try (OutputStream in = p.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Result(-1, "promtool did not finish: " + out);
    }
    return new Result(p.exitValue(), out);
  }
}
