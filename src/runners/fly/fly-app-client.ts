/** A machine of the sessions app, in the project's terms. */
export interface FlyMachineInfo {
  id: string;
  name: string;
  state: string;
  region: string;
  image?: string;
  createdAt: string;
  metadata: Record<string, string>;
}

/** What Fly keeps about an app secret: never its value. */
export interface FlySecretInfo {
  name: string;
  digest: string;
  createdAt: string;
}

/**
 * The operator-facing side of the Fly sessions app: every machine (not only
 * run machines, which is all the runner backend lists) and the app secrets.
 * The Fly adapter implements it (`createFlyAppClient` in src/runners/fly/);
 * its failures arrive as ExternalServiceError.
 */
export interface FlyAppClient {
  /** The sessions app these calls act on (a setting, so read per call). */
  app(): string;
  listMachines(): Promise<FlyMachineInfo[]>;
  /** Undefined when Fly does not know the machine. */
  getMachine(id: string): Promise<FlyMachineInfo | undefined>;
  /** Stops and force-deletes; a machine that is already gone is not an error. */
  destroyMachine(id: string): Promise<void>;
  listSecrets(): Promise<FlySecretInfo[]>;
  setSecrets(values: ReadonlyArray<{ key: string; value: string }>): Promise<void>;
  unsetSecrets(keys: readonly string[]): Promise<void>;
}
