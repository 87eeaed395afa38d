import { request } from 'node:http';

export interface StreamedAnswer {
  status: number;
  body: string;
}

/**
 * Streams `size` bytes from one reused buffer (so the client itself allocates
 * nothing per chunk), chunked or with a declared Content-Length, and resolves
 * with the answer; the server cutting the upload short after answering is fine.
 */
export function postStream(url: string, size: number, options: { declareLength?: boolean; chunkSize?: number } = {}): Promise<StreamedAnswer> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(options.chunkSize ?? 64 * 1024, 0x61);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.declareLength) headers['content-length'] = String(size);
    else headers['transfer-encoding'] = 'chunked';
    let answered = false;
    const req = request(url, { method: 'POST', headers }, (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    let sent = 0;
    const pump = () => {
      while (sent < size && !req.destroyed) {
        const part = Math.min(chunk.length, size - sent);
        sent += part;
        if (!req.write(part === chunk.length ? chunk : chunk.subarray(0, part))) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

export function postChunked(url: string, size: number): Promise<StreamedAnswer> {
  return postStream(url, size);
}
