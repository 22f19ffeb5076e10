/**
 * The RSS step of `npm run bench` (Cosmos mode): the service's resident memory, after a forced GC, with the chats the
 * runs opened and again with `target` open chats. Opening thousands of chats through `startConversation` costs O(n²)
 * on the Cosmos-compatible server (its COUNT reads every document), so the extra chats are cloned in the store from
 * one the service opened and claimed itself (its escalation and look-ups, with fresh ids). Then each gets a customer
 * line and an agent line over HTTP, so the service has served every one of them, as after a day of traffic.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import type { Container } from '@azure/cosmos';
import pino from 'pino';
import { connectCosmos } from '../src/store/cosmos/cosmosClient';
import { containers } from '../src/store/cosmos/cosmosStore';
import { newCustomer, skill, teams, type Agent } from '../tests/helpers/activities';
import type { CosmosProc } from '../tests/helpers/processes';
import { post, type Chat } from './driver';

export interface RssDeps {
  cosmos: CosmosProc;
  url: string;
  pid: number;
  agent: Agent;
  teamsUrl: string;
  pva: string;
  concurrency: number;
  /** Lines the stub has received that carry `bench-<token>`, so the driver waits for its lines to arrive. */
  delivered: () => number;
  track: (token: string) => void;
}

const SYSTEM = ['_rid', '_self', '_etag', '_attachments', '_ts'];

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** RSS after the service collected its garbage (bench/entry.ts runs with --expose-gc and collects on SIGUSR2). */
export async function settledRss(pid: number): Promise<number> {
  for (let i = 0; i < 3; i++) {
    process.kill(pid, 'SIGUSR2');
    await delay(700);
  }
  return rssMiB(pid);
}

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

/** Copies one open, claimed chat's documents `n` times with fresh escalation, customer and thread ids. */
async function cloneChats(deps: RssDeps, template: Chat, n: number): Promise<Chat[]> {
  const conn = await connectCosmos({ endpoint: deps.cosmos.endpoint, key: 'bench', managedIdentity: false, caPem: readFileSync(deps.cosmos.caFile, 'utf8') }, pino({ level: 'warn' }));
  try {
    const db = conn.client.database('handover');
    const esc = db.container(containers.escalations.id);
    const lk = db.container(containers.lookups.id);
    const ids = [template.escalationId!, template.customer.conversationId, template.threadId];
    const { resources: escDocs } = await esc.items.query({ query: 'SELECT * FROM c WHERE c.id = @id', parameters: [{ name: '@id', value: ids[0] }] }).fetchAll();
    const { resources: lookups } = await lk.items.readAll().fetchAll();
    const docs: Array<{ container: Container; json: string }> = [
      ...escDocs.map((d) => ({ container: esc, json: JSON.stringify(d) })),
      ...lookups.map((d) => ({ container: lk, json: JSON.stringify(d) })).filter((d) => ids.some((id) => d.json.includes(id))),
    ];
    if (escDocs.length !== 1 || docs.length < 3) throw new Error(`template chat not found (${escDocs.length} escalation, ${docs.length} documents)`);
    const chats = Array.from({ length: n }, (_, i) => ({ customer: newCustomer(), threadId: `19:rss-${i}@thread.tacv2;messageid=${1_000_000 + i}`, escalationId: `rss-${i}-${template.escalationId}` }));
    await inBatches(chats, 64, async (chat) => {
      const fresh = [chat.escalationId, chat.customer.conversationId, chat.threadId];
      for (const { container, json } of docs) {
        // The thread id holds no other id, the escalation id is a UUID: replacing them in this order cannot collide.
        const body = JSON.parse(ids.reduceRight((text, id, k) => text.split(id).join(fresh[k]), json)) as Record<string, unknown>;
        for (const key of SYSTEM) delete body[key];
        await container.items.create(body);
      }
    });
    return chats;
  } finally {
    await conn.close();
  }
}

/** Opens chats up to `target`, has each of them served both ways, and reports RSS before and after. */
export async function rssStep(deps: RssDeps, chats: Chat[], target: number): Promise<string> {
  const before = await settledRss(deps.pid);
  const t0 = Date.now();
  const extra = await cloneChats(deps, chats[0], target - chats.length);
  const cloned = (Date.now() - t0) / 1000;
  const start = deps.delivered();
  let sent = 0;
  let failed = 0;
  await inBatches(extra, deps.concurrency, async (chat) => {
    const a = `0-${sent++}`; // run 0: the timed runs count from 1
    const b = `0-${sent++}`;
    deps.track(a);
    deps.track(b);
    if ((await post(`${deps.url}/api/messages`, skill.message(chat.customer, `line bench-${a}`, { serviceUrl: deps.pva, value: { LiveChatConversationId: chat.escalationId } }))) !== 200) failed++;
    if ((await post(`${deps.url}/api/console/messages`, teams.reply(deps.agent, chat.threadId, `line bench-${b}`, deps.teamsUrl))) !== 200) failed++;
  });
  const until = Date.now() + 300_000;
  while (deps.delivered() - start < sent - failed && Date.now() < until) await delay(200);
  const delivered = deps.delivered() - start;
  const after = await settledRss(deps.pid);
  return (
    `cosmos: RSS after GC ${before.toFixed(0)} MiB with ${chats.length} open escalations → ${after.toFixed(0)} MiB with ${target} ` +
    `(+${(after - before).toFixed(0)} MiB; ${extra.length} cloned in ${cloned.toFixed(0)} s, then ${delivered}/${sent} lines delivered, ${failed} refused, in ${((Date.now() - t0) / 1000 - cloned).toFixed(0)} s)`
  );
}
