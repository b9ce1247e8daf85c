// Errors of a real run that the CLI maps to exit codes (RealEnvError, exit 3, lives in env.ts).

/** A scenario real mode cannot run (exit 2). */
export class RealInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RealInputError";
  }
}

export class RealInterrupted extends Error {
  constructor(public signal: string) {
    super(`interrupted by ${signal}`);
    this.name = "RealInterrupted";
  }
}
