import { describe, expect, it } from "vitest";
import { capTotalLag, findFactors, getNextFactor } from "./kafka.js";

describe("kafka lag arithmetic", () => {
  it("findFactors lists the factors in ascending order", () => {
    expect(findFactors(12)).toEqual([1, 2, 3, 4, 6, 12]);
    expect(findFactors(16)).toEqual([1, 2, 4, 8, 16]);
    expect(findFactors(1)).toEqual([1]);
    expect(findFactors(0)).toEqual([]);
  });

  it("getNextFactor: smallest factor f of P with f*threshold >= lag, else P", () => {
    expect(getNextFactor(40, 100, 10)).toBe(4);
    expect(getNextFactor(41, 100, 10)).toBe(5);
    expect(getNextFactor(101, 100, 10)).toBe(20);
    expect(getNextFactor(5000, 12, 10)).toBe(12);
  });

  it("capTotalLag: capped at partitions*threshold unless allowIdleConsumers", () => {
    const base = { lagThreshold: 10, allowIdleConsumers: false, limitToPartitionsWithLag: false, ensureEvenDistributionOfPartitions: false };
    expect(capTotalLag(500, 4, 2, base)).toBe(40);
    expect(capTotalLag(45, 4, 2, base)).toBe(45); // 45/10 = 4 (integer division) is not > 4
    expect(capTotalLag(500, 4, 2, { ...base, allowIdleConsumers: true })).toBe(500);
    expect(capTotalLag(500, 4, 2, { ...base, limitToPartitionsWithLag: true })).toBe(20);
    expect(capTotalLag(33, 12, 12, { ...base, ensureEvenDistributionOfPartitions: true })).toBe(40); // factor 4
  });
});
