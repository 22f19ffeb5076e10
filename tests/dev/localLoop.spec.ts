/**
 * The whole handover in a real browser, no tenant: `npm run dev`'s loop (service on the embedded store, Agents
 * Playground as the agents' Teams, customer simulator as Copilot Studio and the customer's chat), driven in headless
 * chromium. The agent works in the Playground's UI; the customer in the simulator's page.
 */
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startLocalLoop, type LocalLoop } from '../../dev/localLoop';
import { artifactDir } from '../helpers/artifacts';
import { launchChromium, loopbackContext, type LoopbackContext } from '../helpers/browser';
import { gradientPng } from '../helpers/pngImage';

const ROOT = join(__dirname, '..', '..', '..');
const SCREENSHOTS = artifactDir('screenshots');
const UI_TIMEOUT = 20_000;
const PNG = gradientPng();

describe('local loop in a real browser (Agents Playground + customer simulator)', function () {
  this.timeout(180_000);
  let loop: LocalLoop;
  let browser: Browser;
  let ctx: LoopbackContext;
  let desk: Page;
  let customer: Page;

  before(async () => {
    loop = await startLocalLoop({ root: ROOT, env: { LOG_LEVEL: 'silent', SWEEP_INTERVAL_SECONDS: '1' } });
    browser = await launchChromium();
    ctx = await loopbackContext(browser);
    desk = await ctx.context.newPage();
    customer = await ctx.context.newPage();
  });

  after(async () => {
    await browser?.close();
    await loop?.stop();
  });

  it('escalates, claims, relays both ways and resolves, with the card following each step', async () => {
    const { team, simulator } = loop;
    // The Playground shows only what is pushed while its page is open: open the agents' channel first.
    await desk.goto(loop.playground!.url);
    await desk.getByRole('treeitem', { name: `${team.teamName} - ${team.channelName}` }).click();
    await desk.getByText('Start a new post').waitFor({ timeout: UI_TIMEOUT });

    // The customer asks for a person in the simulator's page: Copilot Studio calls startConversation.
    await customer.goto(simulator.url);
    await customer.getByLabel('Message').fill('My invoice shows 120 EUR instead of 100 EUR');
    await customer.getByRole('button', { name: 'Talk to a person' }).click();
    await customer.getByText('Live chat with the support team').waitFor({ timeout: UI_TIMEOUT });
    await simulator.waitForLine((l) => l.kind === 'notice' && l.text.includes('You are in line'));

    // The escalation card arrives in a new thread of the agents' channel.
    const card = desk.locator('.ac-adaptiveCard').filter({ hasText: 'My invoice shows 120 EUR' });
    await card.waitFor({ timeout: UI_TIMEOUT });
    assert.match(await card.innerText(), /Customer waiting for an agent[\s\S]*Ada Customer[\s\S]*Queued/);

    // Claim: the card is swapped in place and shows the owner; the customer hears who joined.
    await card.getByRole('button', { name: 'Claim' }).click();
    await card.getByText(`Claimed by ${team.currentUser.name}`).waitFor({ timeout: UI_TIMEOUT });
    await simulator.waitForLine((l) => l.kind === 'notice' && l.text === `${team.currentUser.name} joined the chat.`);

    // The agent answers in the thread (@mentioning the bot, as the Playground forwards only those).
    const thread = desk.getByRole('group').filter({ has: desk.locator('.ac-adaptiveCard', { hasText: 'My invoice shows 120 EUR' }) });
    await mentionAndSend(desk, thread, team.botName, 'Hello Ada, I am checking your invoice now.');
    const answer = await simulator.waitForLine((l) => l.kind === 'agent' && l.text.includes('checking your invoice'), UI_TIMEOUT);
    assert.equal(answer.from, team.currentUser.name);
    assert.equal(answer.text.trim(), 'Hello Ada, I am checking your invoice now.');
    await customer.getByText('Hello Ada, I am checking your invoice now.').waitFor({ timeout: UI_TIMEOUT });

    // The customer's next message appears in the thread.
    await customer.getByLabel('Message').fill('Thanks! The invoice number is INV-2291.');
    await customer.getByRole('button', { name: 'Send' }).click();
    await thread.getByText('The invoice number is INV-2291.').waitFor({ timeout: UI_TIMEOUT });

    // The customer attaches a screenshot: fetched by the skill, checked, stored in Azurite, posted in the thread as
    // an image/png attachment (the Playground names it but cannot show images; images.spec.ts opens the links).
    await customer.getByLabel('Attach a file').setInputFiles({ name: 'invoice.png', mimeType: 'image/png', buffer: PNG });
    const preview = customer.locator('img[alt="invoice.png"]');
    await preview.waitFor({ timeout: UI_TIMEOUT });
    assert.equal(await preview.evaluate((img: HTMLImageElement) => img.decode().then(() => img.naturalWidth, () => 0)), 160, 'a real image');
    await thread.getByText('image/png is not supported yet').waitFor({ timeout: UI_TIMEOUT });
    const id = loop.simulator.chat.liveChatId!;
    const line = (await loop.service.handover.transcript(id)).find((t) => t.files?.length);
    assert.deepEqual([line?.kind, line?.files?.[0].contentType, line?.files?.[0].name, line?.files?.[0].bytes], ['customer', 'image/png', 'invoice.png', PNG.length]);
    await thread.screenshot({ path: join(SCREENSHOTS, 'agent-thread.png') });

    // Resolve: the card says so and the customer is told, then is back with Copilot Studio on the next message.
    await card.getByRole('button', { name: 'Resolve' }).click();
    await card.getByText(`Resolved by ${team.currentUser.name}`).waitFor({ timeout: UI_TIMEOUT });
    assert.match(await card.innerText(), /Chat resolved/);
    assert.equal(await card.getByRole('button', { name: 'Claim' }).count(), 0);
    await simulator.waitForLine((l) => l.kind === 'notice' && l.text.startsWith(`${team.currentUser.name} ended the chat.`), UI_TIMEOUT);
    // The thread gets the whole transcript.
    await thread.getByText(`Chat closed: resolved by ${team.currentUser.name}.`, { exact: false }).waitFor({ timeout: UI_TIMEOUT });

    // The survey: five buttons; a click answers as the customer's own message, and hands back to Copilot Studio.
    await customer.getByText('How did we do?').waitFor({ timeout: UI_TIMEOUT });
    await customer.screenshot({ path: join(SCREENSHOTS, 'customer-survey.png') });
    await customer.getByRole('button', { name: '4', exact: true }).click();
    await customer.getByText('With Copilot Studio').waitFor({ timeout: UI_TIMEOUT });
    await customer.getByText('Thank you for your rating (4 / 5).').waitFor({ timeout: UI_TIMEOUT });
    await card.getByText('Rated 4 / 5').waitFor({ timeout: UI_TIMEOUT });
    assert.ok(await customer.getByText(/The live chat has ended \(closed:agent, rated 4 \/ 5\)/).count());
    await customer.screenshot({ path: join(SCREENSHOTS, 'customer-chat.png') });

  });

  it('the browser reaches nothing beyond loopback: requests are aborted, other host names do not resolve', async () => {
    const probe = await ctx.context.newPage();
    await probe.goto(loop.simulator.url);
    const outcome = await probe.evaluate(async () => {
      const fetched = await fetch('https://cdn.example.net/fonts/probe.woff2').then(() => 'reached', () => 'failed');
      const socket = await new Promise<string>((done) => {
        const ws = new WebSocket('wss://socket.example.net/probe');
        ws.onopen = () => done('opened');
        ws.onerror = () => done('failed');
      });
      return { fetched, socket };
    });
    await probe.close();
    assert.deepEqual(outcome, { fetched: 'failed', socket: 'failed' });
    assert.ok(ctx.blocked.includes('https://cdn.example.net/fonts/probe.woff2'), 'the request was stopped by the route');
    assert.ok(ctx.blocked.every((u) => !/^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(u)), 'loopback was never blocked');
  });
});

async function mentionAndSend(page: Page, thread: ReturnType<Page['getByRole']>, botName: string, text: string): Promise<void> {
  const box = thread.locator('[contenteditable=true][role=textbox]');
  await box.click();
  await box.pressSequentially(`@${botName.split(' ')[0]}`);
  await page.getByRole('menuitem', { name: botName }).click();
  await box.pressSequentially(` ${text}`);
  await thread.getByRole('button', { name: 'Send Message' }).click();
}
