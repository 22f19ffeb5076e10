/**
 * What an inbound activity must be before any bot sees it; anything else is a 400 with a reason. Three layers:
 * - our minimum (`activityShape`): a type and a conversation id;
 * - the Agents SDK's own activity schema, which both adapters' turn code assumes (a `from` of null, a numeric `text`
 *   or attachments that are not a list of objects otherwise fail inside the SDK or our code as a 500);
 * - for the console, what teams-ai reads of every turn (its state keys: channel, bot, conversation and user ids).
 */
import { activityZodSchema } from '@microsoft/agents-activity';
import { z } from 'zod';

export const activityShape = z.object({
  type: z.string({ required_error: 'activity.type is required' }).min(1, 'activity.type is required'),
  conversation: z.object(
    { id: z.string({ required_error: 'activity.conversation.id is required' }).min(1, 'activity.conversation.id is required') },
    { required_error: 'activity.conversation.id is required', invalid_type_error: 'activity.conversation must be an object' },
  ),
  serviceUrl: z.string().optional(),
});

/** The SDK's schema as its adapters apply it (unknown keys are kept, not refused). */
export const sdkActivityShape = activityZodSchema.passthrough();

export interface ShapeNeeds {
  /** teams-ai's turn state needs these ids on every activity (TurnState.getStorageKeys). */
  teamsAiIds?: boolean;
}

type Rec = Record<string, unknown>;

const isObject = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown) => typeof v === 'string' && v.length > 0;
/** Absent, or a non-empty string (the SDK's `z.string().min(1).optional()`, and its enums, which are such strings). */
const optionalNonEmpty = (v: unknown) => v === undefined || nonEmpty(v);

/** The SDK's top-level keys that are an optional non-empty string (or an enum of them, or a date sent as one). */
const NON_EMPTY_KEYS = new Set([
  'id', 'channelId', 'serviceUrl', 'locale', 'callerId', 'replyToId', 'name', 'deliveryMode', 'textFormat', 'localTimezone',
  'action', 'label', 'valueType', 'topicName', 'speak', 'summary', 'inputHint', 'importance', 'code', 'attachmentLayout',
  'timestamp', 'localTimestamp', 'expiration',
]);
/** The SDK's keys whose schema is one this check does not mirror: zod decides when one is present. */
const ZOD_DECIDES = new Set(['suggestedActions', 'relatesTo', 'reactionsAdded', 'reactionsRemoved', 'listenFor', 'textHighlights', 'semanticAction']);
const ACCOUNT_IDS = ['id', 'aadObjectId', 'tenantId', 'agenticUserId', 'agenticAppId', 'agenticAppBlueprintId', 'role'];
const CONVERSATION_STRINGS = ['conversationType', 'tenantId', 'name', 'aadObjectId', 'role'];

function account(v: unknown): boolean {
  return isObject(v) && ACCOUNT_IDS.every((k) => optionalNonEmpty(v[k])) && (v.name === undefined || typeof v.name === 'string');
}

function conversation(v: unknown): boolean {
  return isObject(v) && nonEmpty(v.id) && (v.isGroup === undefined || typeof v.isGroup === 'boolean') && CONVERSATION_STRINGS.every((k) => optionalNonEmpty(v[k]));
}

function attachment(v: unknown): boolean {
  return isObject(v) && nonEmpty(v.contentType) && optionalNonEmpty(v.contentUrl) && optionalNonEmpty(v.name) && optionalNonEmpty(v.thumbnailUrl);
}

const listOf = (v: unknown, each: (x: unknown) => boolean) => Array.isArray(v) && v.every(each);

/**
 * True when the body plainly satisfies all three layers, asked without a parse: nearly every request is well formed,
 * and zod builds a result and its context for each (about 20 µs a request in the service's profile;
 * docs/BENCHMARKS.md, fifth session). Anything this does not accept goes to zod, which decides and says why; a test
 * holds that this never accepts what zod refuses.
 */
export function plainlyWellFormed(body: Rec, needs: ShapeNeeds): boolean {
  if (!nonEmpty(body.type)) return false;
  if (needs.teamsAiIds && !(nonEmpty(body.channelId) && isObject(body.recipient) && nonEmpty(body.recipient.id) && isObject(body.from) && nonEmpty(body.from.id))) return false;
  for (const key in body) {
    const v = body[key];
    if (v === undefined) continue;
    if (NON_EMPTY_KEYS.has(key)) {
      if (!nonEmpty(v)) return false;
      continue;
    }
    if (ZOD_DECIDES.has(key)) return false;
    switch (key) {
      case 'conversation':
        if (!conversation(v)) return false;
        break;
      case 'from':
      case 'recipient':
        if (!account(v)) return false;
        break;
      case 'text':
        if (typeof v !== 'string') return false;
        break;
      case 'historyDisclosed':
        if (typeof v !== 'boolean') return false;
        break;
      case 'attachments':
        if (!listOf(v, attachment)) return false;
        break;
      case 'entities':
        if (!listOf(v, (x) => isObject(x) && nonEmpty(x.type))) return false;
        break;
      case 'membersAdded':
      case 'membersRemoved':
        if (!listOf(v, account)) return false;
        break;
      default: // channelData, value, and keys the SDK does not know: anything goes
    }
  }
  return body.conversation !== undefined;
}

/** teams-ai's reason, in our words, when an id its turn state needs is missing. */
function missingTeamsAiId(body: Rec): string | undefined {
  if (!nonEmpty(body.channelId)) return 'activity.channelId is required';
  if (!isObject(body.recipient) || !nonEmpty(body.recipient.id)) return 'activity.recipient.id is required';
  if (!isObject(body.from) || !nonEmpty(body.from.id)) return 'activity.from.id is required';
  return undefined;
}

/** Returns a reason when the body is not an activity we can process. */
export function activityProblem(body: unknown, needs: ShapeNeeds = {}): string | undefined {
  if (!isObject(body)) return 'the body must be a JSON object (an activity)';
  return plainlyWellFormed(body, needs) ? undefined : problemByZod(body, needs);
}

/** The three layers asked of zod (and teams-ai's ids): the answer, and the reason, for every body. */
export function problemByZod(body: Rec, needs: ShapeNeeds): string | undefined {
  const ours = activityShape.safeParse(body);
  if (!ours.success) return ours.error.issues[0]?.message ?? 'not an activity';
  const sdk = sdkActivityShape.safeParse(body);
  if (!sdk.success) {
    const issue = sdk.error.issues[0];
    return issue ? `activity.${issue.path.join('.')}: ${issue.message}` : 'not an activity';
  }
  return needs.teamsAiIds ? missingTeamsAiId(body) : undefined;
}
