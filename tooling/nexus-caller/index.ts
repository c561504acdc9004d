/** The caller's workflows, bundled together for its worker (tooling/nexus-caller/worker.ts). */
export * from './workflows.js';
export * from './status-workflows.js';
