/**
 * A pass-through HTTP proxy in front of the simulator that records every createJob exchange as the
 * worker saw it: when the request left, when (and whether) an answer came back, and whether that
 * answer carried a readable job id. The chaos run uses it to tell which crash or fault explains a
 * duplicate TDG job. Loopback only; bodies are small JSON.
 */
import {
  createServer,
  request as httpRequest,
  Agent,
  type IncomingHttpHeaders,
  type Server,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CreateJobExchange {
  /** The job name sent (it carries the workflow id). */
  name: string | null;
  startedAt: number;
  /** When the answer was fully sent back to the client; null if the client went away first. */
  answeredAt: number | null;
  status: number | null;
  /** The job id in the answer, when the answer was readable JSON with one. */
  jobId: string | null;
  /** The client closed the connection before the answer was sent (e.g. its process was killed). */
  clientGone: boolean;
}

export interface RecordingProxy {
  url: string;
  exchanges: CreateJobExchange[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host']);

function forwardHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name.toLowerCase())) out[name] = value;
  }
  return out;
}

function readJson(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const exchanges: CreateJobExchange[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const isCreate = req.method === 'POST' && /\/async\/append\/email\/job\/?(\?|$)/.test(req.url ?? '');
      const exchange: CreateJobExchange | null = isCreate
        ? {
            name: (() => {
              const name = readJson(body.toString('utf8'))?.['name'];
              return typeof name === 'string' ? name : null;
            })(),
            startedAt: Date.now(),
            answeredAt: null,
            status: null,
            jobId: null,
            clientGone: false,
          }
        : null;
      if (exchange) exchanges.push(exchange);
      res.on('close', () => {
        if (exchange && exchange.answeredAt === null) exchange.clientGone = true;
      });
      const out = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...forwardHeaders(req.headers), 'content-length': String(body.length) },
          agent,
        },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => parts.push(chunk));
          answer.on('end', () => {
            const text = Buffer.concat(parts);
            if (exchange) {
              exchange.status = answer.statusCode ?? null;
              const jobId = readJson(text.toString('utf8'))?.['job_id'];
              exchange.jobId = typeof jobId === 'string' ? jobId : null;
            }
            if (res.destroyed) return;
            res.writeHead(answer.statusCode ?? 502, {
              ...forwardHeaders(answer.headers),
              'content-length': String(text.length),
            });
            res.end(text, () => {
              if (exchange) exchange.answeredAt = Date.now();
            });
          });
        },
      );
      out.on('error', (error) => {
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: `proxy: ${error.message}` }));
        }
      });
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      }),
  };
}
