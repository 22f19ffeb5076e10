/** A delivery room on a store of the test's own, with recording edges: the harness of the delivery tests. */
import { strict as assert } from 'node:assert';
import { Ledger } from '../../src/core/ledger';
import { newEntry } from '../../src/core/transcript';
import { laneKey } from '../../src/delivery/laneDocs';
import type { CustomerChannel, LaneMemory } from '../../src/delivery/ports';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import { recordingCustomer, recordingDesk, sampleEscalation, testRelay } from './fixtures';

export const e = sampleEscalation({ status: 'claimed', deskRef: { desk: 'test-desk', threadId: 't', address: {} } });
export const toCustomer = (text: string) => newEntry({ escalationId: 'e', direction: 'toCustomer', kind: 'agent', text, now: new Date(), author: { id: 'a', name: 'A' } });
export const until = async (done: () => boolean | Promise<boolean>, ms = 5000) => {
  const t0 = Date.now();
  while (!(await done())) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
};

/** Lines accepted while processes share lanes are delivered when their lane no longer lists them (no write of their own). */
export async function assertDeliveredInLane(store: ReturnType<typeof createMemoryStore>, escalationId: string, direction: 'toDesk' | 'toCustomer') {
  const lines = (await store.transcripts.list(escalationId)).filter((l) => l.direction === direction);
  assert.ok(lines.length > 0 && lines.every((l) => l.delivery.state === 'queued' && l.delivery.laneSeq! > 0), JSON.stringify(lines.map((l) => l.delivery)));
  assert.deepEqual((await store.lanes.get(laneKey(escalationId, direction)))?.value.queue, [], 'the lane lists nothing: all delivered');
}

export function relayOn(store = createMemoryStore(), customer: CustomerChannel = recordingCustomer(), options: Record<string, unknown> = {}, extra: { memory?: LaneMemory; now?: () => number; desk?: ReturnType<typeof recordingDesk>; log?: Parameters<typeof testRelay>[1]['log'] } = {}) {
  const desk = extra.desk ?? recordingDesk();
  const relay = testRelay(store, { customer, desk, options: { retries: 5, ...options }, memory: extra.memory, now: extra.now, log: extra.log });
  relay.attach(new Ledger(store.escalations, relay, () => new Date(extra.now?.() ?? Date.now())));
  return { relay, store, desk };
}

