package dev.ledgerline.scripts;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/ledgerline} runs the jar that {@code LEDGERLINE_JAR} names without passing that variable on: the node
 * reads every {@code LEDGERLINE_*} variable as configuration and would refuse it (the Docker image sets it).
 */
class LauncherScriptTest {
  @Test
  void theJarVariableChoosesTheJarAndIsNotHandedToTheNode(@TempDir Path dir) throws Exception {
    Path jar = Files.writeString(dir.resolve("some.jar"), "not read by the stub");
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path out = dir.resolve("seen.txt");
    // A stand-in for java that records its arguments and environment.
    Path stub = Files.writeString(bin.resolve("java"),
        "#!/usr/bin/env bash\n{ echo \"args: $*\"; env; } > \"" + out + "\"\n");
    Files.setPosixFilePermissions(stub, PosixFilePermissions.fromString("rwxr-xr-x"));

    ProcessBuilder pb = new ProcessBuilder("bash", Path.of("scripts", "ledgerline").toAbsolutePath().toString(),
        "run", "--set", "gateway.port=1");
    pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
    pb.environment().put("LEDGERLINE_JAR", jar.toString());
    pb.environment().put("LEDGERLINE_GATEWAY_HOST", "0.0.0.0");
    pb.redirectErrorStream(true);
    Process p = pb.start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();

    String seen = Files.readString(out);
    assertThat(seen).contains("-jar " + jar + " run --set gateway.port=1");
    assertThat(seen).doesNotContain("LEDGERLINE_JAR=");
    assertThat(seen).contains("LEDGERLINE_GATEWAY_HOST=0.0.0.0");
  }
}
