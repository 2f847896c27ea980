import { declareSetting } from '../setting.ts';
import { nonEmptyText, urlText } from '../value-schemas.ts';

// Where a process keeps its state: the database, blobs, keys and files on disk.

export const DATA_DIR = declareSetting({
  name: 'DATA_DIR',
  description:
    'Postgres data, images, the dev key, local secrets and the key files webhook secrets are sealed under (`secret-keys/`). The admin CLI looks for `admin-token` in it.',
  schema: nonEmptyText,
  default: '.data',
});

export const DATABASE_URL = declareSetting({
  name: 'DATABASE_URL',
  description:
    'Postgres connection URL. `npm start`: use this Postgres instead of the embedded one. Cloud: instead of the secret or the credentials below (development and tests).',
  schema: urlText,
});

export const STORAGE_DIR = declareSetting({
  name: 'STORAGE_DIR',
  description: 'Directory of the blobs (input and output images), shared by the processes over one database.',
  schema: nonEmptyText,
  required: true,
});

export const URL_SIGNING_SECRET = declareSetting({
  name: 'URL_SIGNING_SECRET',
  description: 'HMAC key of signed blob URLs (at least 32 characters); the same in every API and dispatcher process.',
  schema: nonEmptyText.min(32),
  required: true,
});

export const SECRET_KEYS_DIR = declareSetting({
  name: 'SECRET_KEYS_DIR',
  description: 'The key files webhook secrets are sealed under; the same directory for every API and dispatcher process.',
  schema: nonEmptyText,
  required: true,
});

export const MODEL_CATALOG_FILE = declareSetting({
  name: 'MODEL_CATALOG_FILE',
  description: 'JSON array of model profiles replacing the defaults (steps, guidance, price, engine pool, per-tenant active limit).',
  schema: nonEmptyText,
});
