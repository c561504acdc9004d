/** The long-running worker: hosts `emailAppendJob` and the TDG activities. */
export { main, connectWithRetry, ConnectAborted } from './run.js';
export {
  createTdgWorker,
  bundleWorkflows,
  prebuiltWorkflowBundle,
  WORKFLOWS_PATH,
  PREBUILT_BUNDLE_PATH,
} from './factory.js';
export type { TdgWorkerOptions } from './factory.js';
export { activitiesFromConfig } from './activities-from-config.js';
export { writeWorkflowBundle } from './build-bundle.js';
