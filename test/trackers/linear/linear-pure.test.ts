import { describe, expect, it } from 'vitest';
import { hasMarker, withMarker } from '../../../src/trackers/linear/linear-comment-marker.js';
import { pickWorkflowState } from '../../../src/trackers/linear/index.js';

describe('pickWorkflowState', () => {
  const states = [
    { id: 'd', name: 'Done', type: 'completed', position: 4 },
    { id: 'b', name: 'Building', type: 'started', position: 2 },
    { id: 'v', name: 'Verifying', type: 'started', position: 3 },
    { id: 't', name: 'Todo', type: 'unstarted', position: 1 },
  ];

  it('uses state types, in workflow order, when no names match', () => {
    expect(pickWorkflowState(states, 'in-progress')?.id).toBe('b');
    expect(pickWorkflowState(states, 'ready-for-review')?.id).toBe('v');
    expect(pickWorkflowState(states, 'done')?.id).toBe('d');
  });

  it('prefers the conventional names and an explicit state name', () => {
    const named = [...states, { id: 'r', name: 'Ready for Review', type: 'started', position: 5 }, { id: 'p', name: 'In Progress', type: 'started', position: 6 }];
    expect(pickWorkflowState(named, 'in-progress')?.id).toBe('p');
    expect(pickWorkflowState(named, 'ready-for-review')?.id).toBe('r');
    expect(pickWorkflowState(named, 'done', 'todo')?.id).toBe('t');
    expect(pickWorkflowState(named, 'done', 'Shipped')).toBeUndefined();
  });

  it('sends review to the only started state of a one-step workflow', () => {
    expect(pickWorkflowState(states.filter((s) => s.id !== 'v'), 'ready-for-review')?.id).toBe('b');
  });
});

describe('Linear comment marker', () => {
  it('matches the exact key, also after Linear re-serialises the comment', () => {
    const body = withMarker('Hello', 'run-status:r1');
    expect(body).toBe('Hello\n\n<!-- ai-implement:run-status:r1 -->');
    expect(hasMarker(body, 'run-status:r1')).toBe(true);
    expect(hasMarker(body, 'run-status:r')).toBe(false);
    expect(hasMarker(withMarker('x', 'run-status:r12'), 'run-status:r1')).toBe(false);
    expect(hasMarker('x \\<!-- ai-implement:k1--\\>', 'k1')).toBe(true);
  });
});
