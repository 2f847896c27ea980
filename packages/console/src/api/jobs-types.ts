// The answer types the Usage, Jobs and job pages read beyond those in types.ts: the SDK's, generated
// from the OpenAPI document (types only). A file of their own, beside types.ts, so the pages of
// other increments can add theirs there without the two meeting.

export type {
  JobListQuery,
  JobProgressEventData,
  JobStatusEventData,
  JobView,
  LedgerEntry,
  LedgerPage,
  Lineage,
  LineageNode,
  ModelList,
  WebhookDelivery,
  WebhookDeliveryList,
} from '@kontext/sdk';
