import { runMain } from '../platform/process.js';
import { main } from '../listener/index.js';

runMain('listener', () => main());
