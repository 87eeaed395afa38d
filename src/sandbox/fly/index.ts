export { FlyEmulator, type FlyEmulatorOptions } from './fly-emulator.js';
export { FlyState, newMachineId, type NewMachine } from './fly-state.js';
export { machineShape } from './fly-machine-routes.js';
export type * from './fly-types.js';
