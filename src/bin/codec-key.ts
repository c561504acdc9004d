/**
 * `npm run codec-key`: a new payload codec key. Without arguments it prints one `id:base64-key`
 * entry (for PAYLOAD_CODEC_KEYS, newest first); `--file PATH` writes a key file (mode 0600) with a
 * new key first and any keys the file already held after it: a rotation keeps the old keys for
 * decryption. `--if-missing` writes the file only when it holds no key yet: a stack's first start.
 */
import { runMain } from '../platform/process.js';
import { ensureKeyFile, writeKeyFile } from '../platform/codec-keys-file.js';
import { generateKeyEntry } from '../platform/payload-codec.js';

const USAGE = 'usage: npm run codec-key [-- --file PATH [--if-missing]] [--id KEY_ID]';

runMain('codec-key', async () => {
  const args = process.argv.slice(2);
  const value = (flag: string): string | undefined => {
    const at = args.indexOf(flag);
    return at < 0 ? undefined : args[at + 1];
  };
  if (args.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const id = value('--id');
  const file = value('--file');
  if (file === undefined) {
    process.stdout.write(`${generateKeyEntry(id)}\n`);
    return 0;
  }
  if (args.includes('--if-missing')) {
    const { created } = await ensureKeyFile(file);
    process.stdout.write(`${file}: ${created ? 'new key file' : 'has a key already, left as it is'}\n`);
    return 0;
  }
  const { keyId, keys } = await writeKeyFile(file, id);
  process.stdout.write(
    `${file}: new key "${keyId}" encrypts from now on (${keys} key${keys === 1 ? '' : 's'} in the file)\n`,
  );
  return 0;
});
