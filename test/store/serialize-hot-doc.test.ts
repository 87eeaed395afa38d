import { describe, expect, it } from 'vitest';
import { emptyHotDoc } from '../../src/store/core/hot-doc.js';
import { createHotDocSerializer } from '../../src/store/core/serialize-hot-doc.js';

describe('hot document serializer', () => {
  it('writes what JSON.stringify writes while entries come, change and go', () => {
    const serialize = createHotDocSerializer();
    const doc = emptyHotDoc();
    doc.settings['a"b'] = { nested: [1, 'two', null] };
    const receivedAt = '2025-03-01T12:30:00.000Z';
    for (let i = 0; i < 5; i++) doc.inbox[`d${i}`] = { id: `d${i}`, source: 'github', event: 'push', receivedAt, status: 'pending', attempts: 0 };
    expect(serialize(doc)).toBe(JSON.stringify(doc));
    doc.inbox['d1'] = { ...doc.inbox['d1']!, status: 'leased', attempts: 1, payloadRef: { file: 1, offset: 10, length: 20 } };
    delete doc.inbox['d3'];
    doc.inbox['new"id'] = { id: 'new"id', source: 'jira', event: 'x', receivedAt, status: 'dead', attempts: 3, lastError: 'línea\n"q"' };
    expect(serialize(doc)).toBe(JSON.stringify(doc));
    expect(JSON.parse(serialize(doc))).toEqual(doc);
  });
});
