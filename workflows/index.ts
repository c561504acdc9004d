export { emailAppendJob } from './email-append-job.js';
export { tdgAccessGate } from './gate.js';
