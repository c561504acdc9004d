export { main } from './run.js';
export { buildCodecServerApp, type CodecServerDeps } from './app.js';
export { startCodecServer, type RunningCodecServer } from './server.js';
export { loadCodecServerConfig, codecServerSection, type CodecServerConfig } from './config.js';
export { SESSION_COOKIE } from './auth.js';
