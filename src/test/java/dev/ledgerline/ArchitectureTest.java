package dev.ledgerline;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package graph of the production code has no cycles: between the top-level rooms ({@code gateway},
 * {@code ledger}, {@code node}, {@code config}, {@code infra}, {@code cli}, ...) and between the gateway's feature
 * packages. A cycle means two rooms can no longer be read, tested or moved apart. (A parent package and its own
 * sub-packages, such as {@code ledger} and {@code ledger.engine}, count as one room here.) And no source file of it
 * grows past 700 lines, where a class starts to hold more than one concern.
 */
class ArchitectureTest {
  private static JavaClasses main;

  @BeforeAll
  static void importMain() {
    main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS).importPackages("dev.ledgerline");
    // A rule over no classes would pass whatever the code does.
    assertThat(main.containPackage("dev.ledgerline.gateway.routes")).isTrue();
    assertThat(main.containPackage("dev.ledgerline.node")).isTrue();
  }

  @Test
  void topLevelPackagesAreFreeOfCycles() {
    slices().matching("dev.ledgerline.(*)..").should().beFreeOfCycles().check(main);
  }

  @Test
  void gatewayPackagesAreFreeOfCycles() {
    slices().matching("dev.ledgerline.gateway.(*)..").should().beFreeOfCycles().check(main);
  }

  @Test
  void noMainSourceFileIsLongerThan700Lines() throws IOException {
    Path root = Path.of("src/main/java/dev/ledgerline");
    assertThat(root).isDirectory();
    List<String> tooLong;
    try (Stream<Path> files = Files.walk(root)) {
      tooLong = files.filter(f -> f.toString().endsWith(".java")).filter(f -> lines(f) > 700)
          .map(f -> root.relativize(f) + " (" + lines(f) + " lines)").toList();
    }
    assertThat(tooLong).isEmpty();
  }

  private static long lines(Path file) {
    try (Stream<String> all = Files.lines(file)) {
      return all.count();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
