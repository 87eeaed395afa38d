import { describe, expect, it } from 'vitest';
import { chooseLogFormat } from '../../src/logging/choose-log-format.js';

describe('chooseLogFormat', () => {
  it('is pretty for a person at a terminal and JSON for a pipe or production', () => {
    expect(chooseLogFormat({ requested: undefined, production: false, isTTY: true })).toBe('pretty');
    expect(chooseLogFormat({ requested: undefined, production: false, isTTY: false })).toBe('json');
    expect(chooseLogFormat({ requested: undefined, production: true, isTTY: true })).toBe('json');
    expect(chooseLogFormat({ requested: undefined, production: true, isTTY: false })).toBe('json');
  });

  it('does what LOG_FORMAT asks, wherever the lines go', () => {
    expect(chooseLogFormat({ requested: 'json', production: false, isTTY: true })).toBe('json');
    expect(chooseLogFormat({ requested: 'pretty', production: true, isTTY: false })).toBe('pretty');
  });
});
