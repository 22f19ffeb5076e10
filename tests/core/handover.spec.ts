import { strict as assert } from 'node:assert';
import pino from 'pino';
import type { Escalation } from '../../src/core/escalation';
import { StoreUnavailableError } from '../../src/core/errors';
import { Handover } from '../../src/core/handover';
import type { AgentDesk, CustomerChannel, HandoverStore } from '../../src/core/ports';
import { defaultRelayOptions, Relay } from '../../src/core/relay';
import { createMemoryStore } from '../../src/store/memory/memoryStore';

const log = pino({ level: 'silent' });
const agent = { id: 'agent-1', name: 'Ann' };

/** The memory store, except that storing the next notice fails once (the store went away between two writes). */
function storeFailingNextNotice(): HandoverStore & { failNextNotice: () => void } {
  const store = createMemoryStore();
  let fail = false;
  const append = store.transcripts.append.bind(store.transcripts);
  store.transcripts.append = async (entry) => {
    if (fail && entry.kind === 'notice') {
      fail = false;
      throw new StoreUnavailableError('store unavailable');
    }
    return append(entry);
  };
  return Object.assign(store, { failNextNotice: () => void (fail = true) });
}

function setUp() {
  const store = storeFailingNextNotice();
  const toCustomer: string[] = [];
  const toDesk: string[] = [];
  const customer: CustomerChannel = { send: async (_e, m) => void toCustomer.push(m.text) };
  const desk: AgentDesk = {
    announce: async () => ({ desk: 'test', conversationId: 'thread', rootActivityId: 'root' }),
    refresh: async () => undefined,
    post: async (_e, m) => void toDesk.push(m.text),
  };
  const relay = new Relay(store, customer, desk, log, { ...defaultRelayOptions, sweepIntervalMs: 0, minDelayMs: 1, maxDelayMs: 5 });
  const handover = new Handover({ store, relay, log });
  return { store, relay, handover, toCustomer, toDesk };
}

async function opened(handover: Handover): Promise<Escalation> {
  const customer = { conversationId: 'chat-1', userId: 'u', channelId: 'msteams', serviceUrl: 'https://smba.trafficmanager.net/teams/', botId: 'b' };
  return (await handover.start({ customer, problem: 'help', context: {} })).escalation;
}

const notices = async (store: HandoverStore, id: string) => (await store.transcripts.list(id)).filter((t) => t.kind === 'notice').map((t) => t.text);

describe('Handover: a state change whose notice could not be stored', () => {
  it('claim: the retried request stores the missing notice once, and a repeated click adds nothing', async () => {
    const { store, relay, handover, toCustomer } = setUp();
    const e = await opened(handover);
    store.failNextNotice();
    await assert.rejects(handover.claim(e.id, agent), StoreUnavailableError);
    assert.equal((await handover.get(e.id))?.owner?.id, agent.id, 'the claim itself was stored');
    await handover.claim(e.id, agent); // the retry of the request that got 503
    await handover.claim(e.id, agent); // a second click
    await relay.idle();
    assert.deepEqual((await notices(store, e.id)).filter((t) => /joined/.test(t)), ['Ann joined the chat.']);
    assert.deepEqual(toCustomer.filter((t) => /joined/.test(t)), ['Ann joined the chat.']);
  });

  it('resolve: the retry tells the customer once; another agent cannot use the retry path', async () => {
    const { store, relay, handover, toCustomer } = setUp();
    const e = await opened(handover);
    await handover.claim(e.id, agent);
    store.failNextNotice();
    await assert.rejects(handover.resolve(e.id, agent), StoreUnavailableError);
    await handover.resolve(e.id, agent);
    await handover.resolve(e.id, agent);
    await assert.rejects(handover.resolve(e.id, { id: 'agent-2', name: 'Bo' }), /closed/);
    await relay.idle();
    assert.equal(toCustomer.filter((t) => /ended the chat/.test(t)).length, 1);
    assert.equal((await notices(store, e.id)).filter((t) => /ended the chat/.test(t)).length, 1);
  });

  it('customer left: the retry tells the desk once', async () => {
    const { store, relay, handover, toDesk } = setUp();
    const e = await opened(handover);
    store.failNextNotice();
    await assert.rejects(handover.customerLeft('chat-1'), StoreUnavailableError);
    await handover.customerLeft('chat-1');
    await handover.customerLeft('chat-1');
    await relay.idle();
    assert.deepEqual(toDesk.filter((t) => /left/.test(t)), ['The customer left the chat.']);
    assert.equal((await notices(store, e.id)).filter((t) => /left/.test(t)).length, 1);
  });
});
