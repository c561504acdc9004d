import { runMain } from '../../src/platform/process.js';
import { main } from '../simulator/index.js';

runMain('simulator', () => main());
