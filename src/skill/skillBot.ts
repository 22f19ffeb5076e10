/**
 * The skill's turn logic: translates Copilot Studio's activities into handover calls and answers each event
 * action with exactly one endOfConversation. Holds no business rule of its own.
 */
import { Activity, ActivityTypes } from '@microsoft/agents-activity';
import type { TurnContext } from '@microsoft/agents-hosting';
import type { Handover } from '../core/handover';
import type { Intake } from '../files/imageIntake';
import { lazyChild, type Logger } from '../core/logger';
import { customerFromActivity } from './customerFromActivity';
import { readContext, readProblem, readString, readQueue } from './skillInputs';
import { EndCodes, SkillActions, SkillInputs, SkillOutputs } from './skillContract';
import type { TeamsServiceUrlOptions } from './teamsServiceUrl';

export interface SkillBotOptions {
  teamsServiceUrl: TeamsServiceUrlOptions;
  /** Takes in the images a customer attached (fetched with the Copilot Studio agent's token); none when absent. */
  takeFiles?: (attachments: unknown, from: { serviceUrl: string; activityId?: string }) => Promise<Intake>;
}

export type SkillLogic = (ctx: TurnContext) => Promise<void>;

export function createSkillLogic(handover: Handover, options: SkillBotOptions, log: Logger): SkillLogic {
  const endOfConversation = (ctx: TurnContext, fields: { name?: string; code: string; value?: unknown; text?: string }) =>
    ctx.sendActivity(Activity.fromObject({ type: ActivityTypes.EndOfConversation, ...fields }));

  async function onEvent(ctx: TurnContext, log: Logger): Promise<void> {
    const a = ctx.activity;
    switch (a.name) {
      case SkillActions.startConversation: {
        const { escalation, created } = await handover.start({
          customer: customerFromActivity(a, options.teamsServiceUrl),
          problem: readProblem(a.value),
          context: readContext(a.value),
          queue: readQueue(a.value),
        });
        log.info({ escalationId: escalation.id, created }, 'startConversation');
        await endOfConversation(ctx, {
          name: SkillActions.startConversation,
          code: EndCodes.completed,
          value: { [SkillOutputs.liveChatConversationId]: escalation.id },
        });
        return;
      }
      case SkillActions.endConversation: {
        const e = await handover.customerLeft(a.conversation!.id);
        log.info({ escalationId: e?.id }, 'endConversation');
        await endOfConversation(ctx, {
          name: SkillActions.endConversation,
          code: EndCodes.completed,
          value: e ? { [SkillOutputs.liveChatConversationId]: e.id } : {},
        });
        return;
      }
      default:
        log.warn({ name: a.name }, 'unknown skill action');
        await endOfConversation(ctx, {
          name: a.name,
          code: EndCodes.unknown,
          text: `Unknown action '${String(a.name ?? '').slice(0, 100)}'. This skill handles ${Object.values(SkillActions).join(', ')}.`,
        });
    }
  }

  /** sendMessage: recorded and relayed; never answered while the chat is live, so Copilot Studio keeps routing to us. */
  async function onMessage(ctx: TurnContext, log: Logger): Promise<void> {
    const a = ctx.activity;
    const text = (a.text ?? '').trim();
    const escalationId = readString(a.value, SkillInputs.liveChatConversationId)?.trim();
    const intake = options.takeFiles && a.attachments?.length ? await options.takeFiles(a.attachments, { serviceUrl: a.serviceUrl ?? '', activityId: a.id && `${a.conversation?.id}|${a.id}` }) : { files: [], refused: [] };
    const nothing = !text && !intake.files.length && !intake.refused.length;
    const result = await handover.customerMessage({
      conversationId: a.conversation!.id,
      escalationId: escalationId || undefined,
      text: nothing ? '(the customer sent something other than text)' : text,
      activityId: a.id,
      problem: readProblem(a.value),
      files: intake.files,
      refusedFiles: intake.refused.length,
    });
    if (result.kind === 'relayed' || result.kind === 'duplicate') return;
    // No live chat any more (resolved by an agent, or never started): hand the customer back to the topic. After an
    // agent's resolve this first message answers the survey (its buttons send "1"–"5" as the customer's message).
    let e = result.kind === 'closed' ? result.escalation : undefined;
    if (e?.survey && !e.survey.answeredAt) e = (await handover.answerSurvey(e, text)).escalation;
    log.info({ escalationId: e?.id, closedReason: e?.closedReason, rating: e?.survey?.score }, 'sendMessage after close: handing back');
    await endOfConversation(ctx, {
      name: SkillActions.sendMessage,
      code: EndCodes.completed,
      value: {
        [SkillOutputs.liveChatConversationId]: e?.id ?? '',
        Reason: e ? `closed:${e.closedReason}` : 'noLiveChat',
        ClosedBy: e?.closedBy?.name ?? '',
        Rating: e?.survey?.score !== undefined ? String(e.survey.score) : '',
      },
    });
  }

  /** Copilot Studio's import ping, or it cancelled the skill: the customer is gone if a chat was open. */
  async function onEndOfConversation(ctx: TurnContext, log: Logger): Promise<void> {
    const e = await handover.customerLeft(ctx.activity.conversation!.id);
    if (e) log.info({ escalationId: e.id }, 'endOfConversation from Copilot Studio');
  }

  return async (ctx) => {
    // Every line of this turn names its activity and chat.
    const turnLog = lazyChild(log, () => ({ activityId: ctx.activity.id, conversationId: ctx.activity.conversation?.id, activityType: ctx.activity.type }));
    return route(ctx, turnLog);
  };

  async function route(ctx: TurnContext, log: Logger): Promise<void> {
    switch (ctx.activity.type) {
      case ActivityTypes.Event:
        return onEvent(ctx, log);
      case ActivityTypes.Message:
        return onMessage(ctx, log);
      case ActivityTypes.EndOfConversation:
        return onEndOfConversation(ctx, log);
      default:
        log.debug({ type: ctx.activity.type }, 'skill ignores activity type');
    }
  }
}
