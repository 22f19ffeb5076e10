/**
 * The demo live-chat desk (`npm run desk`, `DEV_DESK=livechat npm run dev`) in a real browser, end to end with the
 * customer simulator: escalate, join, both ways, close, rate. The desk's actions reach the service as signed webhooks.
 */
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startLocalLoop, type LocalLoop } from '../../dev/localLoop';
import { artifactDir } from '../helpers/artifacts';
import { launchChromium, loopbackContext, type LoopbackContext } from '../helpers/browser';

const ROOT = join(__dirname, '..', '..', '..');
const SCREENSHOTS = artifactDir('screenshots');
const UI_TIMEOUT = 20_000;

describe('the demo live-chat desk in a real browser (with the customer simulator)', function () {
  this.timeout(120_000);
  let loop: LocalLoop;
  let browser: Browser;
  let ctx: LoopbackContext;
  let desk: Page;
  let customer: Page;

  before(async () => {
    loop = await startLocalLoop({ root: ROOT, desk: 'livechat', env: { LOG_LEVEL: 'silent', SWEEP_INTERVAL_SECONDS: '1' } });
    browser = await launchChromium();
    ctx = await loopbackContext(browser);
    desk = await ctx.context.newPage();
    customer = await ctx.context.newPage();
  });
  after(async () => {
    await browser?.close();
    await loop?.stop();
  });

  it('escalates to the desk, where an agent joins, answers and closes; the customer rates the chat', async () => {
    assert.equal(loop.playground, undefined, 'no Playground with the live-chat desk');
    await customer.goto(loop.simulator.url);
    await customer.getByLabel('Message').fill('My parcel never arrived');
    await customer.getByRole('button', { name: 'Talk to a person' }).click();
    await customer.getByText('Live chat with the support team').waitFor({ timeout: UI_TIMEOUT });

    // The desk lists the live conversation with the customer's problem and Copilot Studio's context.
    await desk.goto(loop.liveChatDesk!.url);
    const item = desk.getByRole('list', { name: 'Live conversations' }).getByText('My parcel never arrived');
    await item.waitFor({ timeout: UI_TIMEOUT });
    await item.click();
    await desk.getByText('Ada Customer: waiting').waitFor({ timeout: UI_TIMEOUT });
    assert.match(await desk.locator('#facts').innerText(), /Problem\s+My parcel never arrived[\s\S]*va_LastTopic\s+Escalate/);

    // Join: the customer hears who joined (signed webhook `joined`).
    await desk.getByRole('button', { name: 'Join' }).click();
    await loop.simulator.waitForLine((l) => l.kind === 'notice' && l.text === 'Dana Desk joined the chat.', UI_TIMEOUT);
    await desk.getByText('Ada Customer: with an agent').waitFor({ timeout: UI_TIMEOUT });

    // Both ways: the agent's answer reaches the customer with the agent's name; the customer's line reaches the desk
    // as text, never as HTML.
    await desk.getByLabel('Answer').fill('Hello Ada, let me look up your parcel.');
    await desk.getByRole('button', { name: 'Send' }).click();
    const answer = await loop.simulator.waitForLine((l) => l.kind === 'agent' && l.text.includes('look up your parcel'), UI_TIMEOUT);
    assert.equal(answer.from, 'Dana Desk');
    await customer.getByText('Hello Ada, let me look up your parcel.').waitFor({ timeout: UI_TIMEOUT });
    await customer.getByLabel('Message').fill('It is order <b>42</b>');
    await customer.getByRole('button', { name: 'Send' }).click();
    await desk.getByRole('list', { name: 'Messages' }).getByText('It is order <b>42</b>').waitFor({ timeout: UI_TIMEOUT });
    assert.equal(await desk.locator('#lines b').count(), 0, 'customer text is not HTML on the desk');
    await desk.screenshot({ path: join(SCREENSHOTS, 'livechat-desk.png') });

    // Close: a resolve by the desk's agent, so the customer gets the survey; a rating hands back to Copilot Studio.
    await desk.getByRole('button', { name: 'Close chat' }).click();
    await loop.simulator.waitForLine((l) => l.kind === 'notice' && l.text.startsWith('Dana Desk ended the chat.'), UI_TIMEOUT);
    await customer.getByRole('button', { name: '5', exact: true }).click();
    await customer.getByText('With Copilot Studio').waitFor({ timeout: UI_TIMEOUT });
    const e = await loop.service.handover.get(escalationId(loop));
    assert.deepEqual([e?.closedReason, e?.closedBy?.name, e?.survey?.score], ['agent', 'Dana Desk', 5]);
  });
});

/** The escalation the desk served (the desk keeps our id with its conversation). */
function escalationId(loop: LocalLoop): string {
  const [c] = [...loop.liveChatDesk!.conversations.values()];
  return c.escalationId;
}
