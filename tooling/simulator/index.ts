export { main } from './run.js';
export { startSimulator, type ListenOptions, type RunningSimulator } from './server.js';
export { buildSimulator, type Simulator, type SimulatorOptions } from './app.js';
