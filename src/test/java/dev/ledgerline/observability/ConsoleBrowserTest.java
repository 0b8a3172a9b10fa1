package dev.ledgerline.observability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledgerline.config.ConfigService;
import dev.ledgerline.node.Node;
import dev.ledgerline.providers.ProviderBreaker;
import dev.ledgerline.testing.FreePorts;
import dev.ledgerline.testing.NodeExtension;
import dev.ledgerline.testing.Poll;
import dev.ledgerline.testing.Tokens;
import dev.ledgerline.users.Role;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The operator console in real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}) against a
 * two-node cluster: the page loads, lists both members, and shows the provider's breaker open within 2 s of a sandbox
 * outage opening it. Leaves a screenshot in {@code target/console.png}. Skipped, saying why, without the browser.
 */
class ConsoleBrowserTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  @TempDir
  static Path profile;
  @RegisterExtension
  static final NodeExtension nodes = NodeExtension.nodes();
  private static Node a;
  private static int consolePort;
  private static WebDriver browser;
  private static WebClient web;
  private static long trafficTimer = -1;

  @BeforeAll
  static void start() {
    Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "chromium and chromedriver are not installed (Debian: apt-get install chromium chromium-driver); skipped");
    int[] hz = {FreePorts.next(), FreePorts.next()};
    Map<String, String> common = new HashMap<>(Map.of("cluster.enabled", "true",
        "cluster.name", "console-" + System.nanoTime(),
        "cluster.members", "127.0.0.1:" + hz[0] + ",127.0.0.1:" + hz[1],
        "gateway.rate-limits", NodeExtension.RATE_LIMITS_NEVER_BIND,
        // One failed call opens the breaker; it stays open for the rest of the test.
        "providers.breaker.failure-threshold", "1", "providers.breaker.reset-timeout", "10m"));
    Map<String, String> sa = new HashMap<>(common);
    sa.putAll(Map.of("node.id", "console-a", "node.roles", "gateway,ledger", "cluster.port", String.valueOf(hz[0])));
    ConfigService configA = NodeExtension.configWith(sa);
    a = nodes.start(configA);
    consolePort = configA.current().management().port();
    Map<String, String> sb = new HashMap<>(common);
    sb.putAll(Map.of("node.id", "console-b", "node.roles", "gateway", "cluster.port", String.valueOf(hz[1]),
        "postgres.mode", "external", "postgres.url", a.services().postgresUrl().orElseThrow().url(),
        "redis.mode", "external", "redis.url", a.services().redisUrl().orElseThrow()));
    Node b = nodes.start(sb);
    Poll.until(Duration.ofSeconds(30), "both nodes in the cluster", () -> a.members() == 2 && b.members() == 2);
    web = WebClient.create(nodes.client());
    traffic(Tokens.of(configA), configA.current().gateway().port());

    ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile());
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1366,1000", "--user-data-dir=" + profile.toAbsolutePath());
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort().build();
    browser = new ChromeDriver(service, options);
  }

  /** Transfers and balance reads ten times a second, so the sparklines and cache ratios have something to draw. */
  private static void traffic(Tokens tokens, int gatewayPort) {
    String op = tokens.issue("console-operator", Role.OPERATOR);
    String[] accounts = new String[2];
    for (int i = 0; i < 2; i++) {
      accounts[i] = post(gatewayPort, "/v1/accounts", op, new JsonObject().put("ledger", 1).put("code", 1))
          .bodyAsJsonObject().getString("id");
    }
    JsonObject transfer = new JsonObject().put("debit_account_id", accounts[0]).put("credit_account_id", accounts[1])
        .put("amount", "1").put("ledger", 1).put("code", 1);
    trafficTimer = nodes.client().setPeriodic(100, id -> {
      web.post(gatewayPort, "127.0.0.1", "/v1/transfers").putHeader("Authorization", "Bearer " + op)
          .putHeader("Idempotency-Key", UUID.randomUUID().toString()).sendJsonObject(transfer);
      web.get(gatewayPort, "127.0.0.1", "/v1/accounts/" + accounts[1]).putHeader("Authorization", "Bearer " + op)
          .send();
    });
  }

  private static HttpResponse<Buffer> post(int port, String path, String token, JsonObject body) {
    HttpResponse<Buffer> r = web.post(port, "127.0.0.1", path).putHeader("Authorization", "Bearer " + token)
        .putHeader("Idempotency-Key", UUID.randomUUID().toString()).sendJsonObject(body).await();
    assertThat(r.statusCode()).as(path + ": " + r.bodyAsString()).isEqualTo(201);
    return r;
  }

  @AfterAll
  static void stop() {
    if (trafficTimer >= 0) {
      nodes.client().cancelTimer(trafficTimer);
    }
    if (browser != null) {
      browser.quit();
    }
  }

  private static List<WebElement> find(String css) {
    return browser.findElements(By.cssSelector(css));
  }

  /**
   * An attribute (or, for {@code "textContent"}, the text) of every element matching {@code css}, read in one script
   * run: the console re-renders its lists as news arrives, so an element found by one WebDriver call may be gone by
   * the next (a stale element), while one script sees one state of the page.
   */
  @SuppressWarnings("unchecked")
  private static List<String> read(String css, String attribute) {
    return (List<String>) ((JavascriptExecutor) browser).executeScript("return Array.from(document.querySelectorAll("
        + "arguments[0])).map(e => arguments[1] === 'textContent' ? e.textContent : e.getAttribute(arguments[1]));",
        css, attribute);
  }

  @Test
  void theConsoleShowsTheClusterAndABreakerOpening() throws Exception {
    browser.get("http://127.0.0.1:" + consolePort + "/console");
    assertThat(browser.getTitle()).isEqualTo("Ledgerline console");
    Poll.until(Duration.ofSeconds(15), "the feed is live", () -> read("#status", "data-state").contains("live"));
    Poll.until(Duration.ofSeconds(10), "both members listed", () -> read("#members li[data-member]", "data-member")
        .size() == 2);
    assertThat(read("#members li[data-member]", "data-member")).containsExactlyInAnyOrder("console-a", "console-b");
    Poll.until(Duration.ofSeconds(10), "the plaid breaker shown closed",
        () -> !find(".breaker[data-provider='plaid'][data-state='closed']").isEmpty());

    // A sandbox outage, then one call through node a's provider layer: the breaker opens on that failure.
    String sandbox = a.providers().baseUrl();
    HttpResponse<Buffer> fault = web.postAbs(sandbox + "/sandbox/faults").sendJsonObject(new JsonObject()
        .put("endpoint", "/accounts/balance/get").put("mode", "outage")).await();
    assertThat(fault.statusCode()).as(fault.bodyAsString()).isEqualTo(200);
    a.providers().provider().balances("access-sandbox-console").otherwiseEmpty().await();
    assertThat(a.providers().breaker().state()).isEqualTo(ProviderBreaker.State.OPEN);
    boolean shown = Poll.holdsWithin(Duration.ofSeconds(2),
        () -> !find(".breaker[data-provider='plaid'][data-state='open']").isEmpty());
    assertThat(shown).as("the console shows the open breaker within 2 s of its opening").isTrue();
    // Laptop width: the page is no wider than the window.
    Object overflow = ((org.openqa.selenium.JavascriptExecutor) browser)
        .executeScript("return document.documentElement.scrollWidth > window.innerWidth");
    assertThat(overflow).isEqualTo(false);

    // Some seconds of history in the sparklines for the picture.
    Poll.until(Duration.ofSeconds(20), "ledger throughput drawn", () -> {
      List<String> rate = read("#ledger-rate", "textContent");
      return rate.size() == 1 && !"0".equals(rate.get(0).trim()) && !read("#caches .bar", "class").isEmpty();
    });
    Poll.holdsWithin(Duration.ofSeconds(8), () -> false);
    Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
    Files.createDirectories(Path.of("target"));
    Files.copy(shot, Path.of("target/console.png"), StandardCopyOption.REPLACE_EXISTING);
  }
}
