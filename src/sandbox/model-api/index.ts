export { ModelApiEmulator, type ModelApiEmulatorOptions } from './model-api-emulator.js';
export type { ModelApiKind, ModelFault } from './model-faults.js';
export type { ModelApiRequest } from './model-request-log.js';
export type { ModelCall, ToolResultSeen } from './model-reply.js';
export { DEFAULT_USAGE, SIDE_USAGE, textTurn, writeFileTurn, type ConversationScript, type ScriptTurn, type TokenUsage, type ToolIntent } from './model-script.js';
export { planToolCall, addFilePatch, updateFilePatch, writeFileCommand, type PlannedCall, type ToolPlan } from './plan-tool-call.js';
export type { OfferedTool } from './offered-tool.js';
