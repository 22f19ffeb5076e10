/**
 * The in-memory mode against the floor at saturation, measured in pairs (or any two setups: a calibration twin, a
 * variant). Both services run side by side (the idle one costs nothing) and short saturating rounds alternate between
 * them, in the order floor, memory, memory, floor, …, so a change in the machine's speed during the benchmark falls on
 * both alike. Run one after the other, a minute apart, the floor's own rate varied from 439 to 800 msg/s between runs
 * (docs/BENCHMARKS.md). Each pair's ratio is memory msg/s over floor msg/s (the second setup's over the first's); the
 * median of the pairs is the figure. Three pairs per direction first (BENCH_PAIRED_WARMUP) warm both up and are not
 * counted.
 */
import type { ConnectorStub } from '../tests/helpers/connectorStub';
import type { Agent } from '../tests/helpers/activities';
import { median as medianOf } from '../src/core/queueWatch';
import { limitsAtFloorRate, type RunSpan } from './conversationLoad';
import { measure, nameOf, type Clock, type Direction, type Options, type RunResult, type Setup } from './driver';

/** The floor and both variants relay each line straight out, with no rate limiter. */
const keepsNoLimits = (setup: Setup) => setup.mode === 'floor' || setup.variant !== undefined;

/** Pairs run before the counted ones (BENCH_PAIRED_WARMUP). */
const WARMUP_PAIRS = Number(process.env.BENCH_PAIRED_WARMUP ?? 3);

/** The middle value; with an even count, the mean of the two middle values (never asked of an empty list here). */
const median = (xs: number[]) => medianOf(xs) ?? NaN;

/**
 * `base` against `other` (floor against memory; or, as a calibration, the floor against a second floor process,
 * which should give 1.00× within the noise; or the hollow service against the whole one: what our per-line code
 * costs). The label names the pair in the output.
 */
export async function pairedStep(base: Setup, other: Setup, ctx: { clock: Clock; stub: ConnectorStub; agent: Agent; nextRunId: () => number }, o: Options, rounds: number, seconds: number, label = `${nameOf(other)}/${nameOf(base)}`, directions: Direction[] = ['toDesk', 'toCustomer']): Promise<string[]> {
  const out: string[] = [];
  for (const direction of directions) {
    const ratios: number[] = [];
    const rates = new Map<Setup, number[]>([[base, []], [other, []]]);
    const cpu = new Map<Setup, string[]>([[base, []], [other, []]]);
    const spans = new Map<Setup, RunSpan[]>([[base, []], [other, []]]);
    const run = async (setup: Setup, profile: boolean): Promise<RunResult> => {
      const startMs = Date.now();
      const res = await measure(setup, { ...ctx, runId: ctx.nextRunId(), seconds, profile }, direction, 'saturating', o);
      spans.get(setup)!.push({ startMs, endMs: startMs + res.seconds * 1000, lines: res.delivered });
      return res;
    };
    // Pairs first that are not counted, so the direction's code is warm in both processes before the pairs count. With
    // one, the floor was still speeding up over the next rounds, and the first counted pair read high in most runs.
    for (let w = 0; w < WARMUP_PAIRS; w++) for (const setup of [base, other]) await run(setup, false);
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? [base, other] : [other, base];
      for (const setup of order) {
        const res = await run(setup, !!process.env.BENCH_CPU_PROF);
        rates.get(setup)!.push(res.delivered / res.seconds);
        cpu.get(setup)!.push(`${res.cpuMsPerMessage.toFixed(2)} (main thread ${res.mainCpuMsPerMessage.toFixed(2)})`);
      }
      ratios.push(rates.get(other)![r] / rates.get(base)![r]);
      console.error(`paired ${label} ${direction} round ${r + 1}: ${nameOf(base)} ${rates.get(base)![r].toFixed(0)} msg/s, CPU ms/msg ${cpu.get(base)![r]}; ${nameOf(other)} ${rates.get(other)![r].toFixed(0)} msg/s, CPU ms/msg ${cpu.get(other)![r]}`);
    }
    out.push(
      `paired saturating ${direction}, ${rounds} rounds of ${seconds} s: ${label} ${ratios.map((x) => x.toFixed(2)).join(', ')}; median ${median(ratios).toFixed(2)}× ` +
        `(${nameOf(base)} median ${median(rates.get(base)!).toFixed(0)} msg/s, ${nameOf(other)} median ${median(rates.get(other)!).toFixed(0)} msg/s)`,
    );
    // Only the whole service keeps Teams' limits: against a base that keeps none, check them at the base's rate.
    const reached = keepsNoLimits(base) && !keepsNoLimits(other) ? limitsAtFloorRate(spans.get(base)!, spans.get(other)!, other.chats.length) : [];
    if (reached.length > 0) {
      out.push(`  NOT COMPARABLE: at the ${nameOf(base)}'s rate, ${nameOf(other)} with ${other.chats.length} chats would reach Teams' per-conversation limits (${reached.map((w) => `${w.perChat.toFixed(1)} lines a chat in ${w.ms / 1000} s, limit ${w.limit}`).join('; ')}): its rate limiter must hold lines there; run again with more chats (BENCH_ESCALATIONS)`);
    }
  }
  return out;
}
