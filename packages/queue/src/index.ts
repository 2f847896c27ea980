export * from './port.ts';
export { PostgresQueue, type PostgresQueueOptions } from './postgres-queue.ts';
export { SqsQueue, SqsBatchEntryError, sqsQueueName, DEFAULT_SQS_NAME_PREFIX, type SqsQueueOptions } from './sqs-queue.ts';
