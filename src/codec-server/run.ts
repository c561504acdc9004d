/**
 * `npm run codec-server`: the codec server as a process of its own. It holds the payload keys and
 * decrypts for whoever is authorized, so it is kept apart from the listener, which faces TDG and
 * the internet, and runs only where the Web UI's users reach it. Environment: CODEC_SERVER_PORT
 * (8789), CODEC_SERVER_HOST (0.0.0.0), CODEC_SERVER_UI_ORIGINS and CODEC_SERVER_TOKENS (required),
 * CODEC_SERVER_SESSION_TTL (8h), PAYLOAD_CODEC_KEYS or PAYLOAD_CODEC_KEYS_FILE, TEMPORAL_NAMESPACE.
 */
import { describePayloadCodec, payloadCodecFor } from '../platform/data-converter.js';
import { createServiceLogger } from '../platform/log.js';
import { configOrExit, exitOnSignals, listenOrExit } from '../platform/process.js';
import { loadCodecServerConfig } from './config.js';
import { startCodecServer } from './server.js';

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = configOrExit('codec-server', () => loadCodecServerConfig(env));
  const logger = createServiceLogger('codec-server', { env });
  const codec = payloadCodecFor(config.codecKeys);
  if (codec === null) throw new Error('codec-server: no payload codec keys');
  const running = await listenOrExit('codec-server', config, () =>
    startCodecServer(
      {
        codec,
        tokens: config.tokens,
        uiOrigins: config.uiOrigins,
        namespace: config.namespace,
        sessionTtlMs: config.sessionTtlMs,
        logger,
      },
      { port: config.port, host: config.host },
    ),
  );
  logger.info(
    {
      url: running.url,
      uiOrigins: config.uiOrigins,
      namespace: config.namespace,
      payloadCodec: describePayloadCodec(config.codecKeys),
      tokens: config.tokens.length,
      login: `${running.url}/login`,
    },
    `listening on ${running.url}`,
  );
  exitOnSignals(logger, () => running.close());
}
