/**
 * `node dist/bench/corePath.js`: what our own code costs per relayed line, in one process and without the network:
 * the core and the delivery room on the in-memory store, with edges that return at once (tests/helpers/fixtures).
 * The saturating benchmark measures the whole service against the SDKs' floor, where the machine's drift and every
 * other process blur a few microseconds; this isolates them (docs/BENCHMARKS.md). Both directions: a customer's line
 * (by LiveChatConversationId) and an agent's (found by its thread), 32 at a time across 300 claimed chats.
 */
import { Handover } from '../src/core/handover';
import { createMemoryStore } from '../src/store/memory/memoryStore';
import { sampleCustomer, wire } from '../tests/helpers/fixtures';

const CHATS = 300;
const CONCURRENCY = 32;
const LINES = 20_000;
const agent = { id: 'agent-1', name: 'Bench Agent' };

async function main(): Promise<void> {
  const { handover, relay } = wire(createMemoryStore());
  const chats: Array<{ conversationId: string; id: string; threadId: string }> = [];
  for (let i = 0; i < CHATS; i++) {
    const { escalation } = await handover.start({ customer: sampleCustomer(`chat-${i}`), problem: 'bench', context: {} });
    await relay.idle();
    await handover.claim(escalation.id, agent);
    await relay.idle();
    const threadId = (await handover.get(escalation.id))?.deskRef?.threadId ?? '';
    chats.push({ conversationId: `chat-${i}`, id: escalation.id, threadId });
  }
  let n = 0;
  const lines: Record<string, (h: Handover, chat: (typeof chats)[number]) => Promise<unknown>> = {
    customer: (h, chat) => h.customerMessage({ conversationId: chat.conversationId, escalationId: chat.id, text: `line ${n}`, activityId: `c-${n}` }),
    agent: async (h, chat) => h.agentMessage((await h.findByDesk(chat.threadId))!, agent, `line ${n}`, { activityId: `a-${n}` }),
  };
  for (const [name, line] of Object.entries(lines)) {
    const run = async () => {
      const t = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let k = 0; k < LINES / CONCURRENCY; k++) await line(handover, chats[n++ % CHATS]);
        }),
      );
      await relay.idle();
      const used = process.cpuUsage(cpu);
      return { wall: Number(process.hrtime.bigint() - t) / 1000 / LINES, cpu: (used.user + used.system) / LINES };
    };
    await run(); // warm-up
    const runs = [await run(), await run(), await run()];
    console.log(`${name} lines: ${runs.map((r) => `${r.wall.toFixed(1)} µs (CPU ${r.cpu.toFixed(1)} µs)`).join(', ')} per line`);
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
