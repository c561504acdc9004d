/** The stack launcher, the embedded stack over it (npm start / npm run dev), and the Temporal binaries they run. */
export { main } from './embedded.js';
export { startStack, type Engine, type EngineChoice, type Stack, type StackOptions } from './launcher.js';
export { startDevServer, freePort, type DevServer, type DevServerOptions } from './dev-server.js';
export {
  findBinary,
  binaryVersion,
  provisionTools,
  TEMPORAL_CLI,
  TEMPORAL_TEST_SERVER,
} from './temporal-binaries.js';
