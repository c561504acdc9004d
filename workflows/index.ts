export { emailAppendJob } from './email-append-job.js';
