package dev.ledgerline;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package graph of the production code has no cycles: between the top-level rooms ({@code gateway},
 * {@code ledger}, {@code node}, {@code config}, {@code infra}, {@code cli}, ...) and between the gateway's feature
 * packages. A cycle means two rooms can no longer be read, tested or moved apart. (A parent package and its own
 * sub-packages, such as {@code ledger} and {@code ledger.engine}, count as one room here.)
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
}
