export { main } from './run.js';
export { startListener, type ListenOptions, type RunningListener } from './server.js';
export { buildListenerApp, type ListenerDeps, type NotifyOutcome, type WorkflowNotifier } from './app.js';
export { createTemporalNotifier, type TemporalNotifier } from './temporal-notifier.js';
export { loadListenerConfig, type ListenerConfig } from './config.js';
