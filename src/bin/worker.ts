import { runMain } from '../platform/process.js';
import { main } from '../worker/index.js';

runMain('worker', () => main());
