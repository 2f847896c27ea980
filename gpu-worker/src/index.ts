export * from './engine.ts';
export { PreviewEngine, PREVIEW_ENGINE_ID, type PreviewEngineOptions } from './preview-engine.ts';
export { WorkerAgent, type WorkerAgentOptions } from './agent.ts';
export { KontextEngine, type KontextEngineOptions } from './kontext-engine.ts';
