import { runMain } from '../platform/process.js';
import { provisionTools } from '../dev/index.js';

runMain('tools', () => Promise.resolve(provisionTools()));
