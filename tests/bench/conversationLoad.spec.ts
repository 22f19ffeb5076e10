import { strict as assert } from 'node:assert';
import { limitsAtFloorRate, windowsReached } from '../../bench/conversationLoad';

describe('bench: could a load reach Teams per-conversation limits', () => {
  const round = (startS: number, seconds: number, rate: number) => ({ startMs: startS * 1000, endMs: (startS + seconds) * 1000, lines: rate * seconds });

  it('finds the 2 s window reached by 1,300 lines/s over 300 chats, and none over 1,000 chats', () => {
    const runs = [round(0, 4, 1300)];
    const reached = windowsReached(runs, 300);
    // 4.3 lines a chat in 1 s (limit 6), 8.7 in 2 s (limit 7).
    assert.deepEqual(reached.map((w) => w.ms), [2000]);
    assert.ok(Math.abs(reached[0].perChat - 8.67) < 0.01, String(reached[0].perChat));
    assert.deepEqual(windowsReached(runs, 1000), []);
  });

  it('adds up the runs inside one 30 s window, however they are spaced', () => {
    // Five rounds of 4 s at 900 lines/s, 6 s apart: 6 lines a chat in 2 s (limit 7), but 18,000 lines in 28 s,
    // 60 a chat over 300 chats (limit 55).
    const runs = [0, 6, 12, 18, 24].map((s) => round(s, 4, 900));
    const reached = windowsReached(runs, 300);
    assert.deepEqual(reached.map((w) => w.ms), [30_000]);
    assert.ok(Math.abs(reached[0].perChat - 60) < 0.01, String(reached[0].perChat));
    // Rounds a minute apart never share a 30 s window.
    assert.deepEqual(windowsReached([0, 60, 120, 180, 240].map((s) => round(s, 4, 900)), 300), []);
  });

  it('finds a window that starts at one run and ends inside the next', () => {
    // A dense 1 s run at 0 and a sparse long one from 29 s: the fullest 30 s window is [0, 30] (30 + 1 lines),
    // not one that ends where a run ends ([10, 40]: 11 lines; [-29, 1]: 30 lines).
    const runs = [{ startMs: 0, endMs: 1000, lines: 30 }, { startMs: 29_000, endMs: 40_000, lines: 11 }];
    const [w] = windowsReached(runs, 1, [{ limit: 30, ms: 30_000 }]);
    assert.ok(w && Math.abs(w.perChat - 31) < 1e-9, JSON.stringify(w));
  });

  it('judges a pair at the floor rate: a service its limiter held just under a limit still counts as reaching it', () => {
    // The 300-chat case: the floor at 1,329 lines/s (8.9 a chat in 2 s), the service held at 1,040 (6.9, limit 7).
    const floor = [round(0, 4, 1329), round(9, 4, 1329)];
    const service = [round(4.5, 4, 1040), round(13.5, 4, 1040)];
    assert.deepEqual(windowsReached(service, 300), [], 'the held service alone shows no limit passed');
    const reached = limitsAtFloorRate(floor, service, 300);
    assert.deepEqual(reached.map((w) => w.ms), [2000]);
    assert.ok(Math.abs(reached[0].perChat - 8.86) < 0.01, String(reached[0].perChat));
    // With 1,000 chats the same pairs compare our code.
    assert.deepEqual(limitsAtFloorRate(floor, service, 1000), []);
  });
});
