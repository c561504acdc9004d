/**
 * Ports of the native cluster. Node 0 of the Temporal ring uses the embedded config template's
 * defaults (frontend 7233, history 7234, matching 7235, worker 7239, HTTP 7243, membership
 * 6933–6939); node i adds 20·i to each. `offset` shifts every port of the stack (a second stack
 * beside a running one, tests).
 */
export const NODE_STRIDE = 20;
export const MAX_SERVERS = 9;
export const MAX_WORKERS = 9;
/**
 * Temporal stores membership ports in a PostgreSQL smallint (cluster_membership.rpc_port): every
 * membership port must stay below 32768, so the offset is capped (6939 + 25000 + 20·8 < 32768).
 */
export const MAX_PORT_OFFSET = 25_000;

export interface NodePorts {
  FRONTEND_GRPC_PORT: number;
  FRONTEND_HTTP_PORT: number;
  FRONTEND_MEMBERSHIP_PORT: number;
  HISTORY_GRPC_PORT: number;
  HISTORY_MEMBERSHIP_PORT: number;
  MATCHING_GRPC_PORT: number;
  MATCHING_MEMBERSHIP_PORT: number;
  WORKER_GRPC_PORT: number;
  WORKER_MEMBERSHIP_PORT: number;
  INTERNAL_FRONTEND_HTTP_PORT: number;
}

export interface StackPorts {
  postgresql: number;
  listener: number;
  simulator: number;
  prometheus: number;
  ui: number;
  codecServer: number;
  nodes: NodePorts[];
  workers: { health: number; metrics: number }[];
}

export function nodePorts(index: number, offset = 0): NodePorts {
  const at = (port: number): number => port + offset + NODE_STRIDE * index;
  return {
    FRONTEND_GRPC_PORT: at(7233),
    HISTORY_GRPC_PORT: at(7234),
    MATCHING_GRPC_PORT: at(7235),
    WORKER_GRPC_PORT: at(7239),
    FRONTEND_HTTP_PORT: at(7243),
    INTERNAL_FRONTEND_HTTP_PORT: at(7246),
    FRONTEND_MEMBERSHIP_PORT: at(6933),
    HISTORY_MEMBERSHIP_PORT: at(6934),
    MATCHING_MEMBERSHIP_PORT: at(6935),
    WORKER_MEMBERSHIP_PORT: at(6939),
  };
}

export function stackPorts(servers: number, workers: number, offset = 0): StackPorts {
  return {
    // Not 5432: a distribution's own PostgreSQL may already listen there.
    postgresql: 15432 + offset,
    listener: 8788 + offset,
    simulator: 8787 + offset,
    prometheus: 9090 + offset,
    ui: 8080 + offset,
    codecServer: 8789 + offset,
    nodes: Array.from({ length: servers }, (_, i) => nodePorts(i, offset)),
    workers: Array.from({ length: workers }, (_, i) => ({
      health: 8081 + offset + i,
      metrics: 9464 + offset + i,
    })),
  };
}

export function allPorts(ports: StackPorts): number[] {
  return [
    ports.postgresql,
    ports.listener,
    ports.simulator,
    ports.prometheus,
    ports.ui,
    ports.codecServer,
    ...ports.nodes.flatMap((node): number[] => Object.values<number>({ ...node })),
    ...ports.workers.flatMap((w) => [w.health, w.metrics]),
  ];
}
