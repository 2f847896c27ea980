export * from './port.ts';
export { PostgresQueue, type PostgresQueueOptions } from './postgres-queue.ts';
