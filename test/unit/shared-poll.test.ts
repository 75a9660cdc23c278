import { describe, expect, it } from 'vitest';
import { SharedPoll } from '../../src/signals/shared-poll.js';

describe('SharedPoll', () => {
  it('answers every caller within maxAge from one request, then asks again', async () => {
    const poll = new SharedPoll<string>(500);
    const asked: number[] = [];
    const load = (now: number) => {
      asked.push(now);
      return Promise.resolve(`answer@${now}`);
    };
    const first = await Promise.all([poll.get(1_000, load), poll.get(1_000, load)]);
    expect(await poll.get(1_499, load)).toBe('answer@1000');
    expect(first).toEqual(['answer@1000', 'answer@1000']);
    expect(await poll.get(1_500, load)).toBe('answer@1500');
    expect(asked).toEqual([1_000, 1_500]);
  });

  it('shares a failure with the callers already waiting, and asks again after it', async () => {
    const poll = new SharedPoll<string>(500);
    let calls = 0;
    const failing = () => {
      calls += 1;
      return Promise.reject(new Error('Prometheus down'));
    };
    const waiting = [poll.get(1_000, failing), poll.get(1_100, failing)];
    for (const p of waiting) await expect(p).rejects.toThrow('Prometheus down');
    expect(calls).toBe(1);
    expect(await poll.get(1_200, () => Promise.resolve('back'))).toBe('back');
  });

  it('never shares with maxAge 0, nor an answer from a later clock reading', async () => {
    const none = new SharedPoll<number>(0);
    let calls = 0;
    const load = () => Promise.resolve(++calls);
    await none.get(1_000, load);
    await none.get(1_000, load);
    expect(calls).toBe(2);
    const shared = new SharedPoll<number>(500);
    await shared.get(2_000, load);
    expect(await shared.get(1_900, load)).toBe(4);
  });
});
