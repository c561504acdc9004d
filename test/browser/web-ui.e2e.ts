/**
 * The Web UI shows a job's progress, proven in a real browser: a Temporal dev server with its
 * Web UI, the TDG simulator, the webhook listener and a worker; headless Chromium finds the
 * job's workflow by `TdgJobId`, opens it and reads the summary and the current details while
 * the job runs and after it completed. Screenshots go to docs/ (SCREENSHOT_DIR overrides),
 * where the README shows them. With the payload codec on, the same page shows a job's input and
 * result decoded through the codec server once the browser is signed in to it, and only
 * ciphertext without it.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrameLocator, Page } from 'playwright-core';
import { freePort, startDevServer, type DevServer } from '../../tooling/stack/dev-server.js';
import { createTemporalNotifier, startListener, type RunningListener } from '../../src/listener/index.js';
import { TdgJobs } from '../../src/client/index.js';
import { PROJECT_ROOT } from '../../src/platform/project-root.js';
import {
  DEFAULT_TASK_QUEUE,
  type EmailAppendJobResult,
  type JobStatus,
} from '../../src/contract/definitions.js';
import { createTdgWorker } from '../../src/worker/factory.js';
import { runAsCurrent } from '../../src/worker/versioning.js';
import { DEFAULT_WORKER_DEPLOYMENT_NAME } from '../../src/worker/config.js';
import { NativeConnection } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { startCodecServer } from '../../src/codec-server/index.js';
import { clientDataConverter } from '../../src/platform/data-converter.js';
import { AesGcmPayloadCodec, parseCodecKeys } from '../../src/platform/payload-codec.js';
import {
  connectTemporal,
  runSimulator,
  secret,
  simulatorActivities,
  waitFor,
  workflowBundle,
  type SimulatorHandle,
  type TemporalHandle,
} from '../helpers/harness.js';
import { launchChromium, type Browser } from './chromium.js';

const SCREENSHOTS = process.env.SCREENSHOT_DIR ?? join(PROJECT_ROOT, 'docs');
const UI_TIMEOUT = 45_000;
const JOB_NAME = 'Nightly CRM append [sim duration=75s batches=7]';

let server: DevServer;
let sim: SimulatorHandle;
let temporal: TemporalHandle;
let listener: RunningListener;
let notifierIdle: () => Promise<void>;
let notifySecret: string;
let browser: Browser;
let workerConnection: NativeConnection;

async function uiAnswers(url: string): Promise<true | undefined> {
  const response = await fetch(url);
  return response.ok ? true : undefined;
}

beforeAll(async () => {
  server = await startDevServer({ uiPort: await freePort(), startTimeoutMs: 90_000 });
  const uiUrl = server.uiUrl!;
  [sim, temporal, workerConnection, browser] = await Promise.all([
    runSimulator(),
    connectTemporal(server.address),
    NativeConnection.connect({ address: server.address }),
    launchChromium(),
    waitFor(() => uiAnswers(uiUrl), 60_000, 250),
  ]);
  notifySecret = secret();
  const notifier = createTemporalNotifier(temporal.client);
  notifierIdle = () => notifier.idle();
  // Running-state notifications too (off by default): the running screenshot shows them counted.
  listener = await startListener(
    { secrets: [notifySecret], notifier, forwardRunningHints: true },
    { port: 0, host: '127.0.0.1' },
  );
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await listener?.close();
  await notifierIdle?.();
  await sim?.close();
  await temporal?.close();
  await workerConnection?.close();
  await server?.stop();
});

/** The markdown panes of the "User Metadata" tab render in iframes. */
const pane = (page: Page, id: 'summary' | 'details' | 'current-details'): FrameLocator =>
  page.frameLocator(`#user-metadata-${id}`);

let currentPage: Page | undefined;

async function failureShot(err: unknown): Promise<Error> {
  const path = join(tmpdir(), `web-ui-failure-${Date.now()}.png`);
  await currentPage?.screenshot({ path, fullPage: true }).catch(() => undefined);
  return new Error(`${(err as Error).message}\n(the page as it was: ${path})`, { cause: err });
}

/** Waits for `text`; on a time-out leaves a screenshot of what the page showed instead. */
async function seeText(scope: Page | FrameLocator, text: string | RegExp): Promise<void> {
  try {
    await scope.getByText(text).first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
  } catch (err) {
    throw await failureShot(err);
  }
}

async function openUserMetadata(page: Page): Promise<void> {
  await page.locator('a[href$="/user-metadata"]').first().click({ timeout: UI_TIMEOUT });
  await pane(page, 'summary').getByText(`TDG job ${JOB_NAME}`).waitFor({ timeout: UI_TIMEOUT });
}

/**
 * Reloads until "Current Details" shows every text. The UI asks the worker once per load (a
 * user presses R to ask again) and shows "No Current Details" when that query fails, e.g. on
 * a machine busy with other work.
 */
async function seeCurrentDetails(page: Page, texts: (string | RegExp)[], withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  const current = pane(page, 'current-details');
  for (;;) {
    await page.reload();
    try {
      const [first, ...rest] = texts;
      const shown = current.getByText(first!).first();
      await shown.or(current.getByText('No Current Details')).waitFor({ timeout: 15_000 });
      if (await shown.isVisible()) {
        for (const text of rest) await current.getByText(text).first().waitFor({ timeout: 5_000 });
        return;
      }
    } catch (err) {
      if (Date.now() > deadline) throw await failureShot(err);
    }
    if (Date.now() > deadline)
      throw await failureShot(new Error(`Current Details never showed ${texts.join(', ')}`));
    await page.waitForTimeout(1_000);
  }
}

describe('the Temporal Web UI shows a TDG job', () => {
  it('finds the workflow by TdgJobId and shows its state and current details, running and completed', async () => {
    const uiUrl = server.uiUrl!;
    const notify = { publicUrl: `${listener.url}/notifications`, secret: notifySecret };
    // This server is the test's own: the worker serves the real task queue name, as in the screenshots.
    const worker = await createTdgWorker({
      connection: workerConnection,
      namespace: 'default',
      taskQueue: DEFAULT_TASK_QUEUE,
      activities: simulatorActivities(sim, notify),
      workflowBundle: await workflowBundle(),
      shutdownGraceTime: '1 second',
      versioning: { deploymentName: DEFAULT_WORKER_DEPLOYMENT_NAME, defaultBehavior: 'PINNED' },
    });
    await runAsCurrent(worker, workerConnection, async () => {
      const jobs = new TdgJobs(temporal.client, { taskQueue: DEFAULT_TASK_QUEUE });
      const started = await jobs.startJob({
        name: JOB_NAME,
        notificationMethod: 'POST',
        // Batch counts change between notifications (TDG notifies state changes only): poll often
        // enough that the running screenshot has some batches done with time to spare.
        polling: { initialIntervalMs: 2_000, maxIntervalMs: 3_000, maxIntervalWithNotificationsMs: 3_000 },
      });
      const { workflowId } = started;
      const queryStatus = async (): Promise<JobStatus> =>
        (await jobs.getStatus(workflowId, 2_000)).status as JobStatus;
      const jobId = started.jobId ?? (await waitFor(async () => (await queryStatus()).jobId ?? undefined));

      const page = await browser.context.newPage();
      currentPage = page;
      // The list, filtered by the search attribute the workflow published: exactly this workflow.
      const query = encodeURIComponent(`TdgJobId="${jobId}"`);
      await page.goto(`${uiUrl}/namespaces/default/workflows?query=${query}`);
      await page.getByRole('link', { name: workflowId }).first().click({ timeout: UI_TIMEOUT });
      await page.waitForURL(new RegExp(`/workflows/${workflowId}/`), { timeout: UI_TIMEOUT });
      await openUserMetadata(page);
      await seeText(pane(page, 'details'), /notifications:/);

      // Running: wait until some batches are done, then reload so the UI asks the worker afresh.
      const running = await waitFor(
        async () => {
          const s: JobStatus = await queryStatus();
          return s.state === 'IN_PROGRESS' && (s.counts?.completed ?? 0) >= 1 ? s : undefined;
        },
        90_000,
        250,
      );
      expect(running.notifications).toBeGreaterThan(0);
      await seeCurrentDetails(page, ['IN_PROGRESS', jobId, /[1-6] of 7 completed/, /next check:/], 20_000);
      await seeText(page, 'RUNNING');
      await page.screenshot({ path: join(SCREENSHOTS, 'web-ui-running.png') });

      // Completed: the badge, the final details, and the result with the batch list.
      const result: EmailAppendJobResult = await jobs.waitForResult(workflowId);
      expect(result.state).toBe('COMPLETED');
      await seeCurrentDetails(
        page,
        ['COMPLETED', jobId, '7 of 7 completed', 'none: the job is finished'],
        60_000,
      );
      await seeText(page, 'COMPLETED');
      await page.screenshot({ path: join(SCREENSHOTS, 'web-ui-completed.png') });

      await page.locator('a[href*="/timeline"]').first().click({ timeout: UI_TIMEOUT });
      await seeText(page, result.batchList[0]!);
      // Checks are local activities: the timeline labels their markers with the activity type.
      await seeText(page, 'getJob');
      await seeText(page, /next check in \S+ \(or on notification/);
      // The page scrolls inside its main pane: a taller window shows more of the timeline.
      await page.setViewportSize({ width: 1400, height: 1500 });
      await seeText(page, /next check in \S+ \(or on notification/);
      await page.screenshot({ path: join(SCREENSHOTS, 'web-ui-timeline.png') });
      await page.close();
    });
  });
});

describe('the Web UI with the payload codec on', () => {
  const codec = new AesGcmPayloadCodec(parseCodecKeys(`ui:${Buffer.alloc(32, 11).toString('base64')}`));
  const CODEC_JOB = 'Acme Corp customer list [sim duration=2s batches=2]';
  const TOKEN = randomUUID() + randomUUID();

  it("shows a job's input and result through the codec server, and only ciphertext without it", async () => {
    const uiUrl = server.uiUrl!;
    const taskQueue = `codec-${randomUUID()}`;
    const worker = await createTdgWorker({
      connection: workerConnection,
      namespace: 'default',
      taskQueue,
      activities: simulatorActivities(sim),
      workflowBundle: await workflowBundle(),
      shutdownGraceTime: '1 second',
      versioning: { deploymentName: taskQueue, defaultBehavior: 'PINNED' },
      payloadCodec: codec,
    });
    const client = new Client({ connection: temporal.connection, dataConverter: clientDataConverter(codec) });
    const jobs = new TdgJobs(client, { taskQueue });
    const { workflowId, result } = await runAsCurrent(worker, workerConnection, async () => {
      const started = await jobs.startJob({
        name: CODEC_JOB,
        workflowId: `codec-${randomUUID().slice(0, 8)}`,
        notificationMethod: null,
        polling: { initialIntervalMs: 300, maxIntervalMs: 1_000, maxIntervalWithNotificationsMs: 1_000 },
      });
      return { workflowId: started.workflowId, result: await jobs.waitForResult(started.workflowId) };
    });
    const batch = result.batchList[0]!;
    const codecServer = await startCodecServer(
      { codec, tokens: [TOKEN], uiOrigins: [new URL(uiUrl).origin], namespace: 'default' },
      { port: 0, host: '127.0.0.1' },
    );
    const page = await browser.context.newPage();
    currentPage = page;
    try {
      const workflowPage = `${uiUrl}/namespaces/default/workflows/${workflowId}`;
      const bodyText = () => page.locator('body').innerText();

      // No codec server: the payloads as stored, encrypted.
      await page.goto(workflowPage);
      // Input and Result show each stored payload's bytes: one long base64 string.
      await seeText(page, /"[A-Za-z0-9+/]{80,}/);
      let text = await bodyText();
      expect(text).not.toContain('Acme Corp');
      expect(text).not.toContain(batch);

      // Signed in to the codec server, with the UI's data encoder pointed at it (this browser only).
      await page.goto(`${codecServer.url}/login`);
      await page.locator('input[name="token"]').fill(TOKEN);
      await page.locator('button[type="submit"]').click();
      await seeText(page, 'Signed in');
      await page.goto(uiUrl);
      // The UI keeps these settings in localStorage, each as JSON (no DOM types here: a script string).
      await page.evaluate(
        [
          `localStorage.setItem('endpoint', ${JSON.stringify(JSON.stringify(codecServer.url))})`,
          `localStorage.setItem('overrideRemoteCodecConfiguration', 'true')`,
          `localStorage.setItem('includeCredentials', 'true')`,
        ].join(';'),
      );
      await page.goto(workflowPage);
      await seeText(page, /Acme Corp customer list/);
      await seeText(page, batch);
      text = await bodyText();
      expect(text).not.toMatch(/"[A-Za-z0-9+/]{80,}/);
      await page.screenshot({ path: join(tmpdir(), 'web-ui-decoded.png') });
    } finally {
      await page.close();
      await codecServer.close();
    }
  });
});
