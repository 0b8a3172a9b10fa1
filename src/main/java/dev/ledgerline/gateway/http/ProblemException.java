package dev.ledgerline.gateway.http;

/**
 * Fails a request with a given problem: {@code rc.fail(new ProblemException(Problem.of(409, "...")))}. Carries no stack
 * trace: it is an answer, not a bug.
 */
public final class ProblemException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient Problem problem;

  public ProblemException(Problem problem) {
    super(problem.title(), null, false, false);
    this.problem = problem;
  }

  public Problem problem() {
    return problem;
  }
}
