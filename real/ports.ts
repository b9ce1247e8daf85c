// Free TCP ports on 127.0.0.1 for the sidecars and apps of one run (never handed out twice).
import { createServer } from "node:net";

const handedOut = new Set<number>();

function onePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function freePorts(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let tries = 0; out.length < n && tries < n * 20; tries++) {
    const p = await onePort();
    if (p > 0 && !handedOut.has(p)) {
      handedOut.add(p);
      out.push(p);
    }
  }
  if (out.length < n) throw new Error(`could not find ${n} free TCP ports on 127.0.0.1`);
  return out;
}

export interface SidecarPorts {
  app: number;
  daprHttp: number;
  daprGrpc: number;
  daprInternalGrpc: number;
  metrics: number;
}

export async function sidecarPorts(): Promise<SidecarPorts> {
  const [app, daprHttp, daprGrpc, daprInternalGrpc, metrics] = await freePorts(5);
  return { app, daprHttp, daprGrpc, daprInternalGrpc, metrics };
}
