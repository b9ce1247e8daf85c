// A run that would exceed a safety limit stops early with this error, naming the limit.
export class SimulationLimitError extends Error {
  constructor(
    public limit: string,
    message: string,
  ) {
    super(message);
    this.name = "SimulationLimitError";
  }
}
