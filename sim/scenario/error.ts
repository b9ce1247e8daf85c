// The one error type of bad input: the file, the field path and what was expected. The CLI prints
// it and exits 2 (sim/cli.ts). Its own module so that the loaders and sim/scenario/bounded-input.ts
// can both raise it without an import cycle; sim/scenario/load.ts re-exports it.
export class ScenarioError extends Error {
  constructor(
    public file: string,
    public path: string,
    public expected: string,
  ) {
    super(`${file}: ${path ? path + ": " : ""}${expected}`);
    this.name = "ScenarioError";
  }
}
