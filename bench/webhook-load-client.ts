// The webhook bench's load generator, run in its own process so that sending
// requests does not take event-loop time from the server being measured. It
// speaks HTTP/1.1 over raw keep-alive sockets, one request in flight per
// connection, and parses no more of each response than its status and length:
// node:http's client costs more CPU per request than the servers it measures.
// Usage: webhook-load-client.ts <url> <delivery-id prefix> <count> <connections>
// Prints one JSON line: {"perSecond","p50","p99","non2xx"}.
import { connect, type Socket } from 'node:net';
import { percentile } from './bench-table.js';
import { examplePayload, signatureOf } from './webhook-example.js';

const [url, prefix, countArg, connectionsArg] = process.argv.slice(2);
const count = Number(countArg);
const connections = Number(connectionsArg);
if (!url || !prefix || !Number.isInteger(count) || count < 1 || !Number.isInteger(connections) || connections < 1) {
  console.error('usage: webhook-load-client.ts <url> <prefix> <count> <connections>');
  process.exit(2);
}

const body = examplePayload();
const target = new URL(url);
const head = (deliveryId: string) =>
  Buffer.from(
    'POST /api/github/webhook HTTP/1.1\r\n' +
      `host: ${target.host}\r\n` +
      'connection: keep-alive\r\n' +
      'content-type: application/json\r\n' +
      `content-length: ${body.length}\r\n` +
      'x-github-event: issue_comment\r\n' +
      `x-github-delivery: ${deliveryId}\r\n` +
      `x-hub-signature-256: ${signatureOf(body)}\r\n\r\n`,
  );

const HEADER_END = Buffer.from('\r\n\r\n');
const CHUNKED_END = Buffer.from('0\r\n\r\n');

/** Resolves with each response's status, reading a keep-alive response framed by content-length or chunks. */
function responses(socket: Socket): () => Promise<number> {
  let buffered: Buffer = Buffer.alloc(0);
  let waiting: { resolve: (status: number) => void; reject: (error: Error) => void } | undefined;
  const tryParse = () => {
    if (!waiting) return;
    const end = buffered.indexOf(HEADER_END);
    if (end < 0) return;
    const headers = buffered.subarray(0, end).toString('latin1');
    const status = Number(headers.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(headers);
    let total: number;
    if (length) total = end + 4 + Number(length[1]);
    else if (/\r\ntransfer-encoding:\s*chunked/i.test(headers)) {
      const last = buffered.indexOf(CHUNKED_END, end + 4);
      if (last < 0) return;
      total = last + CHUNKED_END.length;
    } else total = end + 4;
    if (buffered.length < total) return;
    buffered = buffered.subarray(total);
    const { resolve } = waiting;
    waiting = undefined;
    resolve(status);
  };
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    tryParse();
  });
  const fail = (error: Error) => waiting?.reject(error);
  socket.on('error', fail);
  socket.on('close', () => fail(new Error('the server closed the connection')));
  return () =>
    new Promise<number>((resolve, reject) => {
      waiting = { resolve, reject };
      tryParse();
    });
}

const times: number[] = [];
let non2xx = 0;
let next = 0;

async function connection(): Promise<void> {
  const socket = connect({ host: target.hostname, port: Number(target.port), noDelay: true });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const response = responses(socket);
  while (next < count) {
    const i = next++;
    const started = performance.now();
    const received = response();
    socket.cork();
    socket.write(head(`${prefix}-${i}`));
    socket.write(body);
    socket.uncork();
    const status = await received;
    times.push(performance.now() - started);
    if (status < 200 || status >= 300) non2xx += 1;
  }
  socket.destroy();
}

const started = performance.now();
await Promise.all(Array.from({ length: connections }, connection));
const elapsed = (performance.now() - started) / 1000;
const sorted = times.sort((a, b) => a - b);
console.log(JSON.stringify({ perSecond: count / elapsed, p50: percentile(sorted, 50), p99: percentile(sorted, 99), non2xx }));
