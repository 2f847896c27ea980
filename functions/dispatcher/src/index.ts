export { WebhookDispatcher, type WebhookDispatcherOptions } from './dispatcher.ts';
