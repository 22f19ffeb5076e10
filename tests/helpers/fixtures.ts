/** Shared builders for the core and delivery tests: escalations, recording edges, a core wired on a store. */
import pino from 'pino';
import type { CustomerRef, Escalation } from '../../src/core/escalation';
import { Handover } from '../../src/core/handover';
import type { TimerPolicy } from '../../src/core/timers';
import type { AgentDesk, CustomerChannel, Fence, LaneMemory } from '../../src/delivery/ports';
import { Relay, type RelayOptions } from '../../src/delivery/relay';
import type { HandoverStore } from '../../src/store/handoverStore';

export const silent = pino({ level: (process.env.TEST_LOG as pino.Level) ?? 'silent' });
export const T0 = '2026-11-25T10:00:00.000Z';

export function sampleCustomer(conversationId = 'chat-1', name = 'Ada Customer'): CustomerRef {
  return {
    channel: 'test-customer',
    conversationId,
    name,
    detail: 'Teams user',
    address: { userId: '29:customer', serviceUrl: 'https://smba.trafficmanager.net/teams/', botId: 'bot', channelId: 'msteams' },
  };
}

export function sampleEscalation(overrides: Partial<Escalation> = {}): Escalation {
  return {
    id: 'e',
    rev: 1,
    status: 'queued',
    customer: sampleCustomer(),
    desk: 'test-desk',
    problem: '',
    context: {},
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

/**
 * A customer channel at the edge: fails as told (`failures`, in order), calls the fence like a real edge, records.
 * `delayMs` is every send's time, or each send's by its number (0 for the first).
 */
export function recordingCustomer(failures: Error[] = [], delayMs: number | ((call: number) => number) = 0): CustomerChannel & { sent: string[] } {
  const sent: string[] = [];
  let calls = 0;
  return {
    sent,
    async send(_e, m, fence: Fence) {
      const ms = typeof delayMs === 'number' ? delayMs : delayMs(calls);
      calls += 1;
      if (ms) await new Promise((r) => setTimeout(r, ms));
      await fence();
      const f = failures.shift();
      if (f) throw f;
      sent.push(m.text);
    },
  };
}

/** A desk at the edge: records threads created, lines posted and card refreshes; `fail` decides per call. */
export function recordingDesk(fail: (op: 'announce' | 'refresh' | 'post', n: number) => Error | undefined = () => undefined) {
  const calls = { announce: 0, refresh: 0, post: 0 };
  const threads: string[] = [];
  const posts: string[] = [];
  const desk: AgentDesk & { threads: string[]; posts: string[]; refreshes: () => number } = {
    threads,
    posts,
    refreshes: () => calls.refresh,
    async announce(e, fence) {
      await fence();
      const err = fail('announce', ++calls.announce);
      if (err) throw err;
      threads.push(e.id);
      return { ref: { desk: 'test-desk', threadId: `thread-${e.id}-${threads.length}`, address: {} }, followUps: e.problem.length > 50 ? ['full details'] : [] };
    },
    async refresh(_e, _view, fence) {
      await fence();
      const err = fail('refresh', ++calls.refresh);
      if (err) throw err;
    },
    async post(_e, m, fence) {
      await fence();
      const err = fail('post', ++calls.post);
      if (err) throw err;
      posts.push(m.text);
    },
  };
  return desk;
}

/** The delivery room on `store` with one test customer channel and one test desk, sweeps off, short backoffs. */
export function testRelay(store: HandoverStore, edges: { customer: CustomerChannel; desk: AgentDesk; options?: Partial<RelayOptions>; memory?: LaneMemory; now?: () => number; log?: pino.Logger }): Relay {
  return new Relay({
    store,
    customers: new Map([['test-customer', edges.customer]]),
    desks: new Map([['test-desk', edges.desk]]),
    log: edges.log ?? silent,
    options: { sweepIntervalMs: 0, minDelayMs: 1, maxDelayMs: 5, ...edges.options },
    memory: edges.memory,
    now: edges.now,
  });
}

/** The core and the delivery room on `store`, with test edges. */
export function wire<C extends CustomerChannel = ReturnType<typeof recordingCustomer>, D extends AgentDesk = ReturnType<typeof recordingDesk>>(
  store: HandoverStore,
  edges: { customer?: C; desk?: D; options?: Partial<RelayOptions>; newId?: () => string; now?: () => number; queues?: string[]; retentionMs?: number; timers?: TimerPolicy } = {},
) {
  const customer = (edges.customer ?? recordingCustomer()) as C;
  const desk = (edges.desk ?? recordingDesk()) as D;
  const relay = testRelay(store, { customer, desk, options: edges.options, now: edges.now });
  const handover = new Handover({ store, outbox: relay, log: silent, deskFor: () => 'test-desk', queueRules: (edges.queues ?? []).map((name) => ({ name })), newId: edges.newId, clock: edges.now && (() => new Date(edges.now!())), retentionMs: edges.retentionMs, timers: edges.timers });
  relay.attach(handover.ledger);
  return { relay, handover, customer, desk };
}
