package dev.ledgerline.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ledgerline dev-certs}: a development CA and one certificate per node for {@code cluster.tls}, as PEM files.
 * Signing is done by the JDK's own {@code keytool} (the JDK has no certificate-building API and this needs no other
 * tool); only the private keys are taken out of keytool's stores here, because keytool cannot write them as PEM.
 * The CA's private key is deleted at the end, so the set cannot be extended: run it again for more nodes.
 */
@Command(name = "dev-certs", mixinStandardHelpOptions = true,
    description = "Generate a development CA and node certificates for cluster.tls (PEM files, using keytool).")
public final class DevCertsCommand implements Callable<Integer> {
  private static final String PASSWORD_VARIABLE = "DEV_CERTS_STOREPASS";

  @Spec
  CommandSpec spec;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory for ca.pem, node-N.pem, node-N.key.")
  Path out;

  @Option(names = "--nodes", defaultValue = "3", paramLabel = "N", description = "Node certificates to make (default 3).")
  int nodes;

  @Option(names = "--validity-days", defaultValue = "365", paramLabel = "DAYS", description = "Validity (default 365).")
  int validityDays;

  @Override
  public Integer call() throws Exception {
    if (nodes < 1 || nodes > 99) {
      spec.commandLine().getErr().println("dev-certs: --nodes must be from 1 to 99");
      return 2;
    }
    Files.createDirectories(out);
    // The stores live only while this runs; their password goes to keytool through the environment, never argv.
    byte[] random = new byte[16];
    new SecureRandom().nextBytes(random);
    String password = HexFormat.of().formatHex(random);
    Path ca = out.resolve("ca.p12");
    try {
      keytool(password, "-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
          "-dname", "CN=Ledgerline development cluster CA", "-ext", "bc:c", "-ext", "KeyUsage=keyCertSign,cRLSign",
          "-validity", String.valueOf(validityDays), "-keystore", ca.toString(), "-storetype", "PKCS12",
          "-storepass:env", PASSWORD_VARIABLE);
      Path caPem = out.resolve("ca.pem");
      keytool(password, "-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(),
          "-storepass:env", PASSWORD_VARIABLE, "-file", caPem.toString());
      for (int i = 1; i <= nodes; i++) {
        node(i, ca, caPem, password);
      }
    } finally {
      Files.deleteIfExists(ca);
    }
    spec.commandLine().getOut().println("wrote " + out.resolve("ca.pem") + " and node-1 .. node-" + nodes
        + " (.pem certificate chain, .key private key); set cluster.tls.cert, cluster.tls.key and cluster.tls.trust");
    spec.commandLine().getOut().flush();
    return 0;
  }

  private void node(int i, Path ca, Path caPem, String password) throws Exception {
    String name = "node-" + i;
    Path store = out.resolve(name + ".p12");
    Path request = out.resolve(name + ".csr");
    Path signed = out.resolve(name + ".crt");
    try {
      keytool(password, "-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1",
          "-dname", "CN=" + name, "-validity", String.valueOf(validityDays), "-keystore", store.toString(),
          "-storetype", "PKCS12", "-storepass:env", PASSWORD_VARIABLE);
      keytool(password, "-certreq", "-alias", name, "-keystore", store.toString(), "-storepass:env",
          PASSWORD_VARIABLE, "-file", request.toString());
      keytool(password, "-gencert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass:env",
          PASSWORD_VARIABLE, "-infile", request.toString(), "-outfile", signed.toString(),
          "-validity", String.valueOf(validityDays), "-ext", "KeyUsage:critical=digitalSignature",
          "-ext", "ExtendedKeyUsage=serverAuth,clientAuth", "-ext", "SAN=dns:localhost,ip:127.0.0.1");
      // Leaf first, then the CA: the chain a peer is shown.
      Files.writeString(out.resolve(name + ".pem"), Files.readString(signed) + Files.readString(caPem));
      writePrivate(out.resolve(name + ".key"), pkcs8Pem(store, name, password));
    } finally {
      Files.deleteIfExists(store);
      Files.deleteIfExists(request);
      Files.deleteIfExists(signed);
    }
  }

  private static String pkcs8Pem(Path store, String alias, String password) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, password.toCharArray());
    }
    PrivateKey key = (PrivateKey) ks.getKey(alias, password.toCharArray());
    return "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
  }

  private static void writePrivate(Path file, String content) throws IOException {
    Files.deleteIfExists(file);
    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, content);
  }

  private static void keytool(String password, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put(PASSWORD_VARIABLE, password);
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("keytool " + args[0] + " failed: " + output.trim());
    }
  }
}
