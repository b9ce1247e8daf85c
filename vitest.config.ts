import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["sim/**/*.test.ts", "reports/**/*.test.ts", "real/**/*.test.ts"],
    // Hang guards, not speed targets (sim/properties/budget.ts): generous for a loaded 2-core CI.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
