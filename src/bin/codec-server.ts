import { runMain } from '../platform/process.js';
import { main } from '../codec-server/index.js';

runMain('codec-server', () => main());
