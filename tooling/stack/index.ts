/** The embedded stack (npm start / npm run dev) and the Temporal binaries it runs. */
export { main } from './stack.js';
export { startDevServer, freePort, type DevServer, type DevServerOptions } from './dev-server.js';
export {
  findBinary,
  binaryVersion,
  provisionTools,
  TEMPORAL_CLI,
  TEMPORAL_TEST_SERVER,
} from './temporal-binaries.js';
