import { runMain } from '../platform/process.js';
import { writeWorkflowBundle } from '../worker/index.js';

runMain('build-bundle', writeWorkflowBundle);
