import { describe, expect, it } from 'vitest';
import { FAULTS } from '../../src/faults/catalogue.js';
import { FAULT_TYPES, faultParamsSchemas } from '../../src/scenario/index.js';

describe('fault catalogue', () => {
  it('registers each implementation under its own type with the scenario params schema', () => {
    for (const [type, fault] of Object.entries(FAULTS)) {
      expect(fault.type).toBe(type);
      expect(fault.paramsSchema).toBe(faultParamsSchemas[type as keyof typeof faultParamsSchemas]);
    }
    // Every fault type a scenario can name has an implementation.
    expect(Object.keys(FAULTS).sort()).toEqual([...FAULT_TYPES].sort());
  });
});
