/**
 * The failure converter of every process and of the workflow bundle: a failure's message and stack
 * trace go into its `encodedAttributes` payload (the message itself reads "Encoded failure"), so the
 * payload codec encrypts them like any other payload. Without a codec that payload is plain JSON,
 * and every SDK, the Web UI and the `temporal` CLI still read it.
 *
 * Loaded by path (`failureConverterPath`): the workflow bundler bundles it into the sandbox, the
 * worker requires it for activity failures. It imports nothing from Node.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
