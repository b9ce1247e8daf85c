// Pure pieces of KEDA's Kafka scaler lag arithmetic.
// Source (read, not copied): kedacore/keda pkg/scalers/kafka_scaler.go
//   FindFactors, getNextFactorThatBalancesConsumersToTopicPartitions, getTotalLag (the cap and
//   ensureEvenDistributionOfPartitions rounding), GetMetricsAndActivity (activity uses the lag
//   including persistent lag).
// Spec: /work/shared/reference/keda-hpa-semantics.md B.5 (kafka row).
// Not a trigger: the kafka trigger (../triggers/kafka.ts) uses capTotalLag on the partitions of the
// topology model's log (../topology/model.ts); getNextFactor also replays the upstream vectors.

/** FindFactors: all factors of n, ascending; [] for n < 1. */
export function findFactors(n: number): number[] {
  if (n < 1) return [];
  const factors: number[] = [];
  const r = Math.floor(Math.sqrt(n));
  for (let i = 1; i <= r; i++) {
    if (n % i === 0) {
      factors.push(i);
      if (i !== n / i) factors.push(n / i);
    }
  }
  return factors.sort((a, b) => a - b);
}

/** getNextFactorThatBalancesConsumersToTopicPartitions: smallest factor f of P with f*lagThreshold >= totalLag, else P. */
export function getNextFactor(totalLag: number, totalTopicPartitions: number, lagThreshold: number): number {
  for (const f of findFactors(totalTopicPartitions)) if (f * lagThreshold >= totalLag) return f;
  return totalTopicPartitions;
}

export interface KafkaLagOptions {
  lagThreshold: number;
  allowIdleConsumers: boolean;
  limitToPartitionsWithLag: boolean;
  ensureEvenDistributionOfPartitions: boolean;
}

/**
 * getTotalLag's post-processing of Σ partition lag: unless allowIdleConsumers (and neither
 * limitToPartitionsWithLag nor ensureEvenDistributionOfPartitions), cap at upperBound*lagThreshold
 * where upperBound = partitions (or partitions with lag). Go integer division in the comparison.
 */
export function capTotalLag(totalLag: number, totalTopicPartitions: number, partitionsWithLag: number, o: KafkaLagOptions): number {
  let lag = totalLag;
  if (!o.allowIdleConsumers || o.limitToPartitionsWithLag || o.ensureEvenDistributionOfPartitions) {
    let upperBound = totalTopicPartitions;
    if (o.ensureEvenDistributionOfPartitions) lag = getNextFactor(lag, totalTopicPartitions, o.lagThreshold) * o.lagThreshold;
    if (o.limitToPartitionsWithLag) upperBound = partitionsWithLag;
    if (Math.trunc(lag / o.lagThreshold) > upperBound) lag = upperBound * o.lagThreshold;
  }
  return lag;
}
