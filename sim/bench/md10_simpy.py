"""M/D/10 in SimPy, written the idiomatic way: a Resource(capacity=10), one process per customer.

    python md10_simpy.py --hours 48 --seed 1 [--rate 1.8] [--service 5] [--servers 10]

Prints one JSON line:
  messages       customers that completed service
  arrivals       customers generated
  model_events   arrivals + completions: the events kedasim's engine schedules for the same model
                 (one arrival event and one completion event per message), used for events/s
  simpy_events   every event SimPy scheduled on its heap (env._eid: Timeouts, Initialize, Request,
                 Release, process-termination events, ...), about 6 per message, for reference
  wall_s         wall time of env.run() only (interpreter start-up and imports excluded)
  cpu_s          CPU time of env.run() (time.process_time), less sensitive to other load
  mean_wait_s    mean time from arrival to the start of service (exact M/D/10 value: 1.7229 s)

Used by `npm run bench` (sim/bench/bench.ts) for item 3 of issue 6.
"""

import argparse
import json
import random
import time

import simpy


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hours", type=float, default=48.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rate", type=float, default=1.8, help="arrivals per second (Poisson)")
    ap.add_argument("--service", type=float, default=5.0, help="deterministic service time (s)")
    ap.add_argument("--servers", type=int, default=10)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=args.servers)
    stats = {"arrivals": 0, "started": 0, "done": 0, "wait_sum": 0.0}

    def customer(env, servers, service):
        arrived = env.now
        with servers.request() as req:
            yield req
            stats["started"] += 1
            stats["wait_sum"] += env.now - arrived
            yield env.timeout(service)
        stats["done"] += 1

    def source(env, servers, rate, service):
        while True:
            yield env.timeout(rng.expovariate(rate))
            stats["arrivals"] += 1
            env.process(customer(env, servers, service))

    env.process(source(env, servers, args.rate, args.service))
    horizon = args.hours * 3600.0
    c0 = time.process_time()
    t0 = time.perf_counter()
    env.run(until=horizon)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    done = stats["done"]
    print(
        json.dumps(
            {
                "hours": args.hours,
                "seed": args.seed,
                "messages": done,
                "arrivals": stats["arrivals"],
                "model_events": stats["arrivals"] + done,
                "simpy_events": next(env._eid),
                "wall_s": wall,
                "cpu_s": cpu,
                "mean_wait_s": stats["wait_sum"] / stats["started"] if stats["started"] else None,
                "simpy_version": simpy.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
