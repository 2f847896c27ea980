export * from './ids.ts';
export * from './problems.ts';
export * from './job-state.ts';
export * from './catalog.ts';
export * from './sizes.ts';
export * from './image-header.ts';
export * from './api-key-format.ts';
export * from './contract.ts';
