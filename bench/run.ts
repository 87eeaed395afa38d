// `npm run bench`: runs every benchmark in this process, one after another,
// and prints each as a table. `npm run bench -- store` runs only the named ones.
import { formatTable, type BenchTable } from './bench-table.js';

type Bench = () => Promise<BenchTable | BenchTable[]>;

const BENCHES: Record<string, () => Promise<Bench>> = {
  store: async () => (await import('./store-bench.js')).runStoreBench,
  'api-log': async () => (await import('./api-log-bench.js')).runApiLogBench,
  intake: async () => (await import('./intake-bench.js')).runIntakeBench,
  webhook: async () => (await import('./webhook-bench.js')).runWebhookBench,
  panels: async () => (await import('./panels-bench.js')).runPanelsBench,
  latency: async () => (await import('./latency-bench.js')).runLatencyBench,
  soak: async () => (await import('./soak-bench.js')).runSoakBench,
  history: async () => (await import('./history-bench.js')).runHistoryBench,
  replicas: async () => (await import('./replicas-bench.js')).runReplicasBench,
  stores: async () => (await import('./stores-bench.js')).runStoresBench,
};

const wanted = process.argv.slice(2);
const names = wanted.length > 0 ? wanted : Object.keys(BENCHES);
for (const name of names) {
  const load = BENCHES[name];
  if (!load) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(BENCHES).join(', ')}`);
    process.exit(2);
  }
  const started = Date.now();
  const result = await (await load())();
  for (const table of Array.isArray(result) ? result : [result]) console.log(`${formatTable(table)}\n`);
  console.log(`(${name}: ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}
