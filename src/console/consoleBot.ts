/**
 * The agent console: a teams-ai Application whose routes translate Teams activities into handover calls.
 * Card actions (Universal Actions) claim, release and resolve; replies in an escalation's thread go to the customer.
 */
import { Application, type TurnState } from '@microsoft/teams-ai';
import type { TeamsAdapter } from '@microsoft/teams-ai';
import type { TurnContext } from 'botbuilder';
import { DEFAULT_QUEUE, queueOf, TransitionError, type Escalation } from '../core/escalation';
import { StoreUnavailableError, UnknownQueueError } from '../core/errors';
import type { Handover } from '../core/handover';
import type { EscalationStore } from '../core/ports';
import type { TransferTarget } from '../core/transfer';
import type { Logger } from '../core/logger';
import { notices } from '../core/notices';
import type { ImageIntake } from '../files/imageIntake';
import type { Connector } from '../outbound/connector';
import { hostOf } from '../outbound/serviceUrlPolicy';
import type { AgentAccess } from './agentAccess';
import type { AgentChannelRegistry } from './agentChannel';
import type { TeamRoster } from './teamRoster';
import { BOARD_MAX_ROWS, boardCardModel, RATING_DAYS, renderBoardCard } from './cards/boardCard';
import { AGENTS_DATASET, cardAttachment, CardVerbs, escalationCardModel, renderEscalationCard } from './cards/escalationCard';
import { agentText, noteText } from './messageText';
import { registerSupervisorActions } from './supervisorActions';
import { TEAMS_CHANNEL_DESK } from './teamsChannelDesk';

export interface ConsoleBotDeps {
  adapter: TeamsAdapter;
  botAppId?: string;
  handover: Handover;
  /** Open escalations for the board. */
  store: Pick<EscalationStore, 'open' | 'ratings'>;
  access: AgentAccess;
  channels: AgentChannelRegistry;
  connector: Connector;
  /** Team members (access, transfer targets, the typeahead), asked of Teams and remembered a few minutes. */
  roster: TeamRoster;
  noteMarker: string;
  /** AGENT_TENANT_ID: only this tenant may choose the channel or act on escalations. */
  requiredTenantId?: string;
  /** SUPERVISORS: Entra object ids (lowercase), and their Teams ids in a team (for user-specific views). */
  supervisors?: string[];
  supervisorIds?: (serviceUrl: string, teamId: string) => Promise<string[]>;
  /** Takes in images pasted into a thread (absent: files are ignored). */
  images?: ImageIntake;
  log: Logger;
  now?: () => Date;
  /** Which desk serves a queue (absent: the Teams channel desk for all): only those queues need a channel. */
  deskOf?: (queue: string) => string;
}

export const BOARD = /^\s*board\s*$/i;

const noChannelYet = (queue: string) =>
  `No channel serves the ${queue} queue yet: someone in its team types "use this channel${queue === DEFAULT_QUEUE ? '' : ` for ${queue}`}" in the channel that should, then transfer again.`;
export const USE_THIS_CHANNEL = /^\s*use this channel(?:\s+for\s+(\S+))?\s*$/i;

interface TeamsChannelData {
  team?: { id?: string; name?: string };
  channel?: { id?: string; name?: string };
  tenant?: { id?: string };
  eventType?: string;
}

export function createConsoleApp(deps: ConsoleBotDeps): Application<TurnState> {
  const { handover, access, log } = deps;
  const now = deps.now ?? (() => new Date());
  const app = new Application<TurnState>({
    adapter: deps.adapter,
    botAppId: deps.botAppId,
    startTypingTimer: false,
    removeRecipientMention: false,
  });

  const supervisors = deps.supervisors ?? [];
  const isSupervisor = (ctx?: TurnContext) => !!ctx && supervisors.includes(ctx.activity.from?.aadObjectId?.toLowerCase() ?? '');
  /** The card as the person who acted should see it (a supervisor gets Reassign and Force close). */
  const card = (e: Escalation, ctx?: TurnContext) => {
    // Clicked in a thread the chat has left (a transfer or reassignment to another queue): that card shows where it went.
    const left = !!ctx && !!e.previousDesks?.some((d) => d.threadId === ctx.activity.conversation.id);
    const view = left ? { transferredTo: queueOf(e) } : { queues: deps.channels.queueNames(), supervisor: isSupervisor(ctx) };
    return renderEscalationCard(escalationCardModel(e, now(), deps.noteMarker, view)) as never;
  };

  /** Replies in the conversation the activity came from (a channel thread). */
  const reply = (ctx: TurnContext, text: string) =>
    deps.connector.send(ctx.activity.serviceUrl, ctx.activity.conversation.id, { type: 'message', text, textFormat: 'plain' });

  // Card actions. Each answers with the card as it now stands, so the clicker sees the result at once.
  const onAction = (verb: string, act: (escalationId: string, agent: Parameters<Handover['claim']>[1], seen: Escalation) => Promise<Escalation>) =>
    app.adaptiveCards.actionExecute(verb, async (ctx, _state, data: { escalationId?: string }) => {
      const escalationId = typeof data?.escalationId === 'string' ? data.escalationId : '';
      const e = escalationId ? await handover.get(escalationId) : undefined;
      if (!e) return 'This escalation no longer exists.';
      if (e.previousDesks?.some((d) => d.threadId === ctx.activity.conversation.id)) return `This chat was transferred to the ${queueOf(e)} queue.`;
      const allowed = await access.check(ctx.activity, queueOf(e));
      if (!allowed.allowed) return allowed.reason;
      try {
        return card(await act(escalationId, allowed.agent, e), ctx);
      } catch (err) {
        if (err instanceof TransitionError) return card(err.escalation, ctx);
        throw err;
      }
    });

  // Access was checked for the queue as read: the claim holds only if the chat is still in that queue.
  onAction(CardVerbs.claim, async (id, agent, seen) => (await handover.claim(id, agent, queueOf(seen))).escalation);
  onAction(CardVerbs.release, (id, agent) => handover.release(id, agent));
  onAction(CardVerbs.resolve, (id, agent) => handover.resolve(id, agent));
  // A supervisor's own view (refresh.userIds) even without being in the queue's team.
  app.adaptiveCards.actionExecute(CardVerbs.refresh, async (ctx, _state, data: { escalationId?: string }) => {
    const e = typeof data?.escalationId === 'string' ? await handover.get(data.escalationId) : undefined;
    if (!e) return 'This escalation no longer exists.';
    if (!isSupervisor(ctx) && !(await access.check(ctx.activity, queueOf(e))).allowed) return card(e);
    return card(e, ctx);
  });
  registerSupervisorActions(app, { handover, access, supervisors, card, transferTarget: (e, choice) => transferTarget(e, choice), board: async (ctx) => (await boardCard(ctx, { supervisor: true })) as never });

  // Transfer: to another queue (queue:<name>) or a colleague of the queue's team (agent:<Entra object id>).
  app.adaptiveCards.actionExecute(CardVerbs.transfer, async (ctx, _state, data: { escalationId?: string; transferTo?: string }) => {
    const e = typeof data?.escalationId === 'string' ? await handover.get(data.escalationId) : undefined;
    if (!e) return 'This escalation no longer exists.';
    const allowed = await access.check(ctx.activity, queueOf(e));
    if (!allowed.allowed) return allowed.reason;
    const to = await transferTarget(e, String(data.transferTo ?? ''));
    if (typeof to === 'string') return to;
    try {
      const after = await handover.transfer(e.id, allowed.agent, to);
      // The card clicked on stays in the old thread: it shows where the chat went.
      if (after.queue !== e.queue && after.previousDesks?.some((d) => d.threadId === ctx.activity.conversation.id)) {
        return renderEscalationCard(escalationCardModel(after, now(), deps.noteMarker, { transferredTo: queueOf(after) })) as never;
      }
      return card(after, ctx);
    } catch (err) {
      if (err instanceof TransitionError) return err.code === 'same_place' ? err.message : card(err.escalation, ctx);
      if (err instanceof UnknownQueueError) return `${err.message}.`;
      throw err;
    }
  });

  /** The choice made on the card, as a transfer target; a string says why it cannot be one. */
  async function transferTarget(e: Escalation, choice: string): Promise<TransferTarget | string> {
    const [kind, ...rest] = choice.split(':');
    const value = rest.join(':').trim();
    if (kind === 'queue' && value) {
      // A chat sent to a queue no channel serves yet would wait where no agent can see it.
      const inTeams = (deps.deskOf?.(value) ?? TEAMS_CHANNEL_DESK) === TEAMS_CHANNEL_DESK;
      if (inTeams && deps.channels.queueNames().includes(value) && !(await deps.channels.forQueue(value))) return noChannelYet(value);
      return { kind: 'queue', queue: value };
    }
    if (kind !== 'agent' || !value) return 'Choose a queue or a colleague to transfer to.';
    const channel = await deps.channels.forQueue(queueOf(e));
    const member = channel ? await deps.roster.member(channel.serviceUrl, channel.teamId, value) : undefined;
    if (!member) return "That person is not a member of this queue's team.";
    return { kind: 'agent', agent: { id: member.id, name: member.name || 'An agent', aadObjectId: value } };
  }

  // The transfer choice's typeahead: the team's roster, filtered by what was typed, 15 at most.
  app.adaptiveCards.search(AGENTS_DATASET, async (ctx, _state, query) => {
    const team = (ctx.activity.channelData as TeamsChannelData | undefined)?.team?.id;
    const from = ctx.activity.from?.id;
    if (!team || !from || !(await deps.roster.member(ctx.activity.serviceUrl, team, from))) return [];
    const text = query.parameters.queryText.trim().toLowerCase();
    const roster = await deps.roster.list(ctx.activity.serviceUrl, team);
    return roster
      .filter((m) => m.id !== from && (!text || (m.name ?? '').toLowerCase().includes(text)))
      .slice(0, Math.min(15, query.count || 15))
      .map((m) => ({ title: m.name ?? m.id, value: `agent:${m.aadObjectId ?? m.id}` }));
  });

  // The console was added to a team: remember the team's service URL so a channel can be chosen in Teams.
  app.conversationUpdate('membersAdded', async (ctx) => {
    const cd = ctx.activity.channelData as TeamsChannelData | undefined;
    const botAdded = ctx.activity.membersAdded?.some((m) => m.id === ctx.activity.recipient?.id);
    if (!botAdded || !cd?.team?.id) return;
    await deps.channels.recordInstallation({
      teamId: cd.team.id,
      teamName: cd.team.name,
      tenantId: cd.tenant?.id ?? ctx.activity.conversation.tenantId,
      serviceUrl: ctx.activity.serviceUrl,
      installedAt: now().toISOString(),
    });
    log.info({ teamId: cd.team.id }, 'console installed in a team');
  });

  app.activity('message', async (ctx) => {
    const text = agentText(ctx.activity.text, botMentionsOf(ctx.activity));
    if (BOARD.test(text)) return postBoard(ctx);
    const use = USE_THIS_CHANNEL.exec(text);
    if (use) return chooseChannel(ctx, use[1]?.toLowerCase() ?? DEFAULT_QUEUE);
    const e = await handover.findByDesk(ctx.activity.conversation.id);
    if (!e) return; // chatter in the channel that is not an escalation thread
    if (e.previousDesks?.some((d) => d.threadId === ctx.activity.conversation.id)) {
      await reply(ctx, `This chat was transferred to the ${queueOf(e)} queue: this thread no longer reaches the customer.`);
      return;
    }
    const allowed = await access.check(ctx.activity, queueOf(e));
    if (!allowed.allowed) {
      await handover.deskNotice(e, allowed.reason);
      return;
    }
    // Pasted images are fetched with the console bot's token; other files are refused, and the agent is told.
    // Only from the Bot Connector the activity came from: that is where the console bot's token belongs.
    let intake: Awaited<ReturnType<ImageIntake['take']>> | undefined;
    if (deps.images && ctx.activity.attachments?.length) {
      const from = hostOf(ctx.activity.serviceUrl);
      try {
        intake = await deps.images.take(ctx.activity.attachments, (url, max) => deps.connector.download(url, max, from ? [from] : []), { activityId: ctx.activity.id && `${ctx.activity.conversation.id}|${ctx.activity.id}` });
      } catch (err) {
        // Storage or the image's host failed now. Teams does not retry a bot's message, so a 503 would lose the text
        // too: the text goes on, and the agent is told to paste the image again.
        if (!(err instanceof StoreUnavailableError)) throw err;
        await handover.deskNotice(e, notices.fileNotTakenNowToAgent(), `untaken|${ctx.activity.id}`);
      }
    }
    if (intake?.refused.length) await handover.deskNotice(e, notices.fileRefusedToAgent(intake.refused), `refused|${ctx.activity.id}`);
    if (!text && !intake?.files.length) return;
    const note = noteText(text, deps.noteMarker);
    const result = await handover.agentMessage(e, allowed.agent, note ?? text, { activityId: ctx.activity.id, note: note !== undefined, files: intake?.files });
    switch (result.kind) {
      case 'note':
        await handover.deskNotice(result.escalation, `Note kept internal (not sent to the customer).`);
        break;
      case 'moved':
      case 'notOwner': {
        // Moved to another queue meanwhile (claimed there or not yet): told here, in the thread it was typed in.
        const e = result.escalation;
        if (result.kind === 'moved' || (e.deskRef && e.deskRef.threadId !== ctx.activity.conversation.id)) {
          await reply(ctx, `This chat was moved to the ${queueOf(e)} queue: your message was not sent to the customer.`);
        } else await handover.deskNotice(e, notices.notOwner(e.owner!));
        break;
      }
      case 'closed':
        await handover.deskNotice(result.escalation, notices.closed(result.escalation));
        break;
      default:
        break;
    }
  });

  /** "@Console board": the lead's board, posted where it was asked for; its Refresh updates it in place. */
  const boardCard = async (ctx: TurnContext, viewer: { supervisor?: boolean } = {}) => {
    const team = (ctx.activity.channelData as TeamsChannelData | undefined)?.team?.id;
    const watchers = team && deps.supervisorIds ? await deps.supervisorIds(ctx.activity.serviceUrl, team) : [];
    const [open, ratings] = await Promise.all([deps.store.open(BOARD_MAX_ROWS * 5), deps.store.ratings(new Date(now().getTime() - RATING_DAYS * 86_400_000).toISOString())]);
    return renderBoardCard(boardCardModel(open, deps.channels.queueNames(), now(), deps.requiredTenantId, { ...viewer, watchers }, ratings));
  };
  async function postBoard(ctx: TurnContext): Promise<void> {
    const allowed = await access.check(ctx.activity);
    if (!allowed.allowed) return void (await reply(ctx, allowed.reason));
    await deps.connector.send(ctx.activity.serviceUrl, ctx.activity.conversation.id, { type: 'message', text: '', attachments: [cardAttachment(await boardCard(ctx))] });
  }
  // Anyone in the team refreshes the board; a supervisor's view (refresh.userIds) has Force close on each row.
  app.adaptiveCards.actionExecute(CardVerbs.board, async (ctx) => {
    if (isSupervisor(ctx)) return (await boardCard(ctx, { supervisor: true })) as never;
    const allowed = await access.check(ctx.activity);
    return allowed.allowed ? ((await boardCard(ctx)) as never) : allowed.reason;
  });

  /** "@Console use this channel [for <queue>]" in a standard channel of the agents' team (or the queue's). */
  async function chooseChannel(ctx: TurnContext, queue: string): Promise<void> {
    const cd = ctx.activity.channelData as TeamsChannelData | undefined;
    if (!cd?.team?.id || !cd.channel?.id) {
      await reply(ctx, 'Type this in a channel of the agents\' team.');
      return;
    }
    const tenantId = cd.tenant?.id ?? ctx.activity.conversation.tenantId;
    if (deps.requiredTenantId && tenantId !== deps.requiredTenantId) {
      await reply(ctx, 'Only the support organisation can choose the agent channel.');
      return;
    }
    const channel = { teamId: cd.team.id, channelId: cd.channel.id, tenantId, serviceUrl: ctx.activity.serviceUrl };
    const outcome = await deps.channels.chooseForQueue(queue, channel);
    if (outcome === 'otherTeam') {
      await reply(ctx, queue === DEFAULT_QUEUE ? 'Escalations already go to a channel of another team; an admin can change AGENT_TEAM_ID there.' : `The ${queue} queue's escalations already go to a channel of another team; an admin can set its team in AGENT_QUEUES.`);
      return;
    }
    if (outcome === 'unknown') {
      await reply(ctx, `There is no queue "${queue}". The queues are: ${deps.channels.queueNames().join(', ')} (AGENT_QUEUES).`);
      return;
    }
    if (outcome === 'fixed') {
      await reply(ctx, `The ${queue} queue's channel is set in the settings (AGENT_QUEUES); an admin can change it there.`);
      return;
    }
    log.info({ teamId: cd.team.id, channelId: cd.channel.id, queue }, 'agent channel chosen in Teams');
    await reply(ctx, queue === DEFAULT_QUEUE ? 'New escalations will be posted in this channel.' : `New escalations of the ${queue} queue will be posted in this channel.`);
  }

  app.error(async (ctx, err) => {
    log.child({ activityId: ctx.activity.id, conversationId: ctx.activity.conversation?.id }).error({ err: err.message, stack: err.stack }, 'console turn failed');
    throw err;
  });

  return app;
}

/** The texts of the activity's mentions of this bot (the recipient): removed from what an agent typed. */
function botMentionsOf(a: { entities?: unknown[]; recipient?: { id?: string } }): string[] {
  const mentions = (a.entities ?? []) as Array<{ type?: string; text?: unknown; mentioned?: { id?: string } }>;
  return mentions.filter((m) => m?.type === 'mention' && m.mentioned?.id === a.recipient?.id && typeof m.text === 'string').map((m) => m.text as string);
}
