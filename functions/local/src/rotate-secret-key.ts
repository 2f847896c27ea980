import { join } from 'node:path';
import { createKeyFile } from '@kontext/secrets';
import { loadLocalConfig } from './config.ts';
import { SECRET_KEYS_DIRECTORY } from './platform.ts';

// `npm run rotate-secret-key`: adds a key-encryption key for webhook secrets under DATA_DIR. The
// platform seals with it from its next start; maintenance then re-seals what older keys sealed.

const config = loadLocalConfig(process.env);
const directory = join(config.dataDir, SECRET_KEYS_DIRECTORY);
const name = await createKeyFile(directory);
process.stdout.write(
  `New key ${join(directory, name)}.\n` +
    'Restart the platform: it seals webhook secrets with this key from then on, and maintenance re-seals the stored ones.\n' +
    'Keep the older key files until the log says no secret is sealed under them any more.\n',
);
