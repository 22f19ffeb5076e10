/**
 * The in-memory mode against the floor at saturation, measured in pairs. Both services run side by side (the idle
 * one costs nothing) and short saturating rounds alternate between them, in the order floor, memory, memory, floor,
 * …, so a change in the machine's speed during the benchmark falls on both alike. Run one after the other, a minute
 * apart, the floor's own rate varied from 439 to 800 msg/s between runs (docs/BENCHMARKS.md). Each pair's ratio is
 * memory msg/s over floor msg/s; the median of the pairs is the figure. A first pair per direction warms both up and
 * is not counted.
 */
import type { ConnectorStub } from '../tests/helpers/connectorStub';
import type { Agent } from '../tests/helpers/activities';
import { measure, type Clock, type Direction, type Options, type Setup } from './driver';

/** The middle value; with an even count, the mean of the two middle values. */
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export async function pairedStep(floor: Setup, memory: Setup, ctx: { clock: Clock; stub: ConnectorStub; agent: Agent; nextRunId: () => number }, o: Options, rounds: number, seconds: number, directions: Direction[] = ['toDesk', 'toCustomer']): Promise<string[]> {
  const out: string[] = [];
  for (const direction of directions) {
    const ratios: number[] = [];
    const rates: Record<'floor' | 'memory', number[]> = { floor: [], memory: [] };
    // One pair first that is not counted: the direction's code is warm in both processes before the pairs count.
    for (const setup of [floor, memory]) await measure(setup, { ...ctx, runId: ctx.nextRunId(), seconds }, direction, 'saturating', o);
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? [floor, memory] : [memory, floor];
      for (const setup of order) {
        const res = await measure(setup, { ...ctx, runId: ctx.nextRunId(), seconds, profile: !!process.env.BENCH_CPU_PROF }, direction, 'saturating', o);
        rates[setup.mode as 'floor' | 'memory'].push(res.delivered / res.seconds);
      }
      ratios.push(rates.memory[r] / rates.floor[r]);
      console.error(`paired ${direction} round ${r + 1}: floor ${rates.floor[r].toFixed(0)} msg/s, memory ${rates.memory[r].toFixed(0)} msg/s`);
    }
    out.push(
      `paired saturating ${direction}, ${rounds} rounds of ${seconds} s: memory/floor ${ratios.map((x) => x.toFixed(2)).join(', ')}; median ${median(ratios).toFixed(2)}× ` +
        `(floor median ${median(rates.floor).toFixed(0)} msg/s, memory median ${median(rates.memory).toFixed(0)} msg/s)`,
    );
  }
  return out;
}
