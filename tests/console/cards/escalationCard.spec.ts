/**
 * Every state of the escalation card, filled from the real template with sample data, rendered by the Adaptive Cards
 * JavaScript renderer in headless chromium. A card that does not parse cleanly, does not render, or is over 28 KB
 * fails. The PNGs go to .artifacts/cards/ (`npm run docs:images` refreshes docs/cards/, which the README shows).
 */
import { boardCardModel, renderBoardCard } from '../../../src/console/cards/boardCard';
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { claim, customerLeft, resolve, type Escalation } from '../../../src/core/escalation';
import { CARD_MAX_BYTES, cardCutsText, escalationCardModel, renderEscalationCard } from '../../../src/console/cards/escalationCard';
import { renderSurveyCard, surveyCardModel } from '../../../src/skill/cards/surveyCard';
import { artifactDir } from '../../helpers/artifacts';
import { launchChromium, loopbackContext } from '../../helpers/browser';

const OUT = artifactDir('cards');
const RENDERER = require.resolve('adaptivecards/dist/adaptivecards.min.js');
const RENDERER_CSS = require.resolve('adaptivecards/dist/adaptivecards.css');
const T0 = '2026-11-25T09:12:00.000Z';
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();
const agent = { id: '29:agent-1', name: 'Alex Wilber' };

const queued: Escalation = {
  id: 'sample-escalation',
  status: 'queued',
  rev: 1,
  desk: 'teams-channel',
  customer: {
    channel: 'teams',
    conversationId: 'a:customer-chat',
    name: 'Ada Customer',
    detail: 'Teams user',
    locale: 'en-GB',
    address: { userId: '29:customer', serviceUrl: 'https://smba.trafficmanager.net/emea/customer-tenant/', botId: '28:contoso-helper' },
  },
  problem: 'My last invoice shows 120 EUR instead of the 100 EUR in my contract, and the payment is due on Friday.',
  context: { va_LastTopic: 'Billing question', va_LastPhrases: 'talk to a person', contractId: 'C-55120' },
  createdAt: T0,
  updatedAt: T0,
};
const claimed: Escalation = claim(queued, agent, at(3)).escalation;
const lastLineAt = at(6);
const states: Record<string, Escalation> = {
  queued,
  claimed,
  resolved: resolve(claimed, agent, at(14)).escalation,
  'customer-left': customerLeft(claimed, at(9)).escalation,
};

/** A customer who filled every input to its limit: the card must still fit. */
const largest: Escalation = {
  ...claimed,
  customer: { ...claimed.customer, name: 'N'.repeat(500) },
  problem: '€'.repeat(4000),
  context: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`key-${i}-${'k'.repeat(90)}`, '✓'.repeat(2000)])),
  deliveryProblem: 'x'.repeat(2000),
};

interface RenderResult {
  errors: string[];
  rendered: boolean;
  buttons: string[];
  text: string;
}

describe('escalation card in the Adaptive Cards renderer (headless chromium)', function () {
  this.timeout(60_000);
  let browser: Browser;
  let page: Page;

  before(async () => {
    browser = await launchChromium();
    const { context } = await loopbackContext(browser, { width: 560, height: 900 });
    page = await context.newPage();
    await page.setContent('<!doctype html><html><body style="margin:0;background:#f5f5f5;font-family:Segoe UI,system-ui,sans-serif"><div id="host" style="width:520px;padding:10px"></div></body></html>');
    await page.addScriptTag({ path: RENDERER });
    await page.addStyleTag({ path: RENDERER_CSS });
  });

  after(async () => browser?.close());

  for (const [state, escalation] of Object.entries(states)) {
    it(`${state}: parses without errors, renders, stays under 28 KB, and is saved as ${state}.png`, async () => {
      const card = renderEscalationCard(escalationCardModel(escalation, new Date(at(15)), '/note', { lastLineAt }));
      const bytes = Buffer.byteLength(JSON.stringify(card));
      assert.ok(bytes <= CARD_MAX_BYTES, `${bytes} bytes`);
      const result = await render(page, card);
      assert.deepEqual(result.errors, []);
      assert.ok(result.rendered);
      assert.match(result.text, /Ada Customer/);
      assert.match(result.text, /120 EUR instead of the 100 EUR/);
      const expected = { queued: ['Claim'], claimed: ['Release', 'Resolve', 'Transfer'], resolved: [], 'customer-left': [] }[state];
      assert.deepEqual(result.buttons, expected);
      await page.locator('#host').screenshot({ path: join(OUT, `${state}.png`) });
    });
  }

  it('a supervisor\'s view of a claimed card (with queues to choose) renders: Reassign and Force close too', async () => {
    const view = { lastLineAt, queues: ['default', 'billing', 'tech'], supervisor: true, watchers: ['29:sue'] };
    const card = renderEscalationCard(escalationCardModel(states.claimed, new Date(at(15)), '/note', view));
    assert.ok(Buffer.byteLength(JSON.stringify(card)) <= CARD_MAX_BYTES);
    const result = await render(page, card);
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.buttons, ['Release', 'Resolve', 'Transfer', 'Reassign', 'Force close']);
    await page.locator('#host').screenshot({ path: join(OUT, 'claimed-supervisor.png') });
  });

  it('the board renders, with two queues and a claimed and a queued chat', async () => {
    const card = renderBoardCard(boardCardModel([states.claimed, { ...states.queued, id: 'q2', queue: 'billing' }], ['default', 'billing'], new Date(at(15))));
    const result = await render(page, card);
    assert.deepEqual(result.errors, []);
    assert.match(result.text, /default: 0 waiting, 1 in a chat/);
    assert.deepEqual(result.buttons, ['Thread', 'Thread', 'Refresh']);
    await page.locator('#host').screenshot({ path: join(OUT, 'board.png') });
    const supervised = await render(page, renderBoardCard(boardCardModel([states.claimed], ['default'], new Date(at(15)), undefined, { supervisor: true, watchers: ['29:sue'] })));
    assert.deepEqual(supervised.errors, []);
    assert.deepEqual(supervised.buttons, ['Thread', 'Close', 'Refresh']);
  });

  it('the customer\'s survey card renders five buttons; a rated chat\'s card and the board show the rating', async () => {
    const survey = await render(page, renderSurveyCard(surveyCardModel('Rate this chat from 1 (poor) to 5 (excellent).')));
    assert.deepEqual(survey.errors, []);
    assert.deepEqual(survey.buttons, ['1', '2', '3', '4', '5']);
    await page.locator('#host').screenshot({ path: join(OUT, 'survey.png') });
    const rated = { ...resolve(claimed, agent, at(20), { survey: true }).escalation, survey: { askedAt: at(20), answeredAt: at(21), score: 4 } };
    const card = await render(page, renderEscalationCard(escalationCardModel(rated, new Date(at(22)), '/note')));
    assert.deepEqual(card.errors, []);
    assert.match(card.text, /Customer rating\s*Rated 4 \/ 5/);
    const onLiveChat = { ...states.queued, id: 'lc', deskRef: { desk: 'livechat', threadId: 'livechat|lc-1', address: { conversationId: 'lc-1' } } };
    const board = await render(page, renderBoardCard(boardCardModel([onLiveChat], ['default'], new Date(at(22)), undefined, {}, [{ queue: 'default', score: 4 }, { queue: 'default', score: 5 }])));
    assert.deepEqual(board.errors, []);
    assert.match(board.text, /Rated 4\.5 \/ 5 on average \(2 ratings, last 7 days\)/);
    assert.match(board.text, /Waiting · on time \(livechat desk\)/);
    assert.deepEqual(board.buttons, ['Refresh'], 'no Teams thread to open for a chat on the live-chat desk');
  });

  it('the check catches a card the renderer cannot take (so a passing card means something)', async () => {
    const result = await render(page, { type: 'AdaptiveCard', version: '1.5', body: [{ type: 'Gauge', value: 3 }] });
    assert.match(result.errors.join('\n'), /Unknown element type "Gauge"/);
  });

  it('a board of 40 chats, a supervisor\'s with a Close on each row, stays under 28 KB: rows past the limit are counted', async () => {
    const many = Array.from({ length: 45 }, (_, i) => ({ ...states.claimed, id: `esc-${i}-${'x'.repeat(30)}`, createdAt: at(i), customer: { ...states.claimed.customer, name: `Customer with a rather long name number ${i}` }, owner: { id: `29:${'a'.repeat(60)}`, name: 'An agent with a long display name' } }));
    for (const viewer of [{}, { supervisor: true, watchers: Array.from({ length: 60 }, (_, i) => `29:${'s'.repeat(80)}${i}`) }]) {
      const card = renderBoardCard(boardCardModel(many, ['default'], new Date(at(60)), 'tenant-0000-0000-0000-000000000000', viewer));
      assert.ok(Buffer.byteLength(JSON.stringify(card)) <= CARD_MAX_BYTES, `${Buffer.byteLength(JSON.stringify(card))} bytes`);
      const text = JSON.stringify(card);
      const shown = (text.match(/Customer with a rather long name number/g) ?? []).length;
      assert.ok(shown >= 10, `${shown} rows shown`);
      assert.ok(text.includes(`…and ${45 - shown} more not shown.`), 'the rest are counted');
      const result = await render(page, card);
      assert.deepEqual(result.errors, []);
    }
  });

  it('a card filled to every input limit still renders under 28 KB, with 4-byte characters and a supervisor\'s view', async () => {
    const emoji: Escalation = { ...largest, problem: '😀'.repeat(4000), context: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`key-${i}-${'😀'.repeat(90)}`, '😀'.repeat(2000)])) };
    for (const e of [largest, emoji]) {
      const watchers = Array.from({ length: 60 }, (_, i) => `29:${'w'.repeat(80)}${i}`);
      for (const view of [{ lastLineAt }, { lastLineAt, watchers, supervisor: true }]) {
        const card = renderEscalationCard(escalationCardModel(e, new Date(at(15)), "/note", view));
        assert.ok(Buffer.byteLength(JSON.stringify(card)) <= CARD_MAX_BYTES, `${Buffer.byteLength(JSON.stringify(card))} bytes`);
        const result = await render(page, card);
        assert.deepEqual(result.errors, []);
        assert.ok(result.rendered);
      }
      assert.equal(cardCutsText(e), true, 'the thread gets the full details');
    }
  });
});

/** Parses with the renderer's strict serialization context, validates, renders into #host. */
async function render(page: Page, card: Record<string, unknown>): Promise<RenderResult> {
  return page.evaluate((json) => {
    const AC = (window as any).AdaptiveCards;
    const host = document.getElementById('host')!;
    host.replaceChildren();
    const adaptiveCard = new AC.AdaptiveCard();
    adaptiveCard.hostConfig = new AC.HostConfig({ fontFamily: 'Segoe UI, system-ui, sans-serif' });
    const context = new AC.SerializationContext();
    adaptiveCard.parse(json, context);
    const errors: string[] = [];
    for (let i = 0; i < context.eventCount; i++) errors.push(context.getEventAt(i).message);
    for (const e of adaptiveCard.validateProperties().validationEvents) errors.push(e.message);
    const element = adaptiveCard.render();
    if (element) host.appendChild(element);
    const buttons = Array.from(host.querySelectorAll('button')).map((b) => (b.getAttribute('aria-label') || b.textContent || '').trim());
    return { errors, rendered: Boolean(element && element.offsetHeight > 0), buttons, text: host.innerText };
  }, card);
}
