/** What other parts of the app use from the runner (the admin catalog, workflow sync, the protect-custom rule). */
export { listRunnerCatalog, type RunnerCatalog, type CatalogPipeline, type CatalogStep } from './list-runner-catalog.js';
export type { CatalogStatus } from './load-step-modules.js';
export { readWorkflowTemplates, templateVersion, type WorkflowTemplate } from './templates.js';
export { disallowedCustomChanges } from './protect-custom.js';
export { defaultRunnerRoots, findProjectRoot, type RunnerRoots } from './runner-roots.js';
export { AGENT_RUNTIMES, resolveAgentRuntime, UnknownRuntimeError } from './runtimes/index.js';
export { PipelineError } from './parse-pipeline.js';
export type { StepModule, StepContext, StepResult, RunState } from './step-types.js';
