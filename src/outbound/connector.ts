/**
 * The Bot Connector at the network edge: sends, creates threads, updates cards, reads members. Checks the
 * service URL before any token is fetched, calls the caller's fence after the rate limiter's wait and right before
 * the request, and turns HTTP failures into DeliveryErrors with Teams' meaning (retryable, unreachable).
 */
import { Activity } from '@microsoft/agents-activity';
import { ConnectorClient } from '@microsoft/agents-hosting';
import { FileRefusedError } from '../core/errors';
import { DeliveryError } from '../delivery/deliveryError';
import type { Fence } from '../delivery/ports';
import { busyOrFailing, readAtMost } from './httpAnswers';
import { assertServiceUrl, hostOf, type ServiceUrlPolicy } from './serviceUrlPolicy';
import { TEAMS_RETRYABLE_STATUSES, TEAMS_UNREACHABLE_STATUSES } from './teamsLimits';
import type { TeamsRateLimiter } from './teamsRateLimiter';
import type { TokenSource } from './tokenSource';

export interface ThreadCreated {
  conversationId: string;
  activityId: string;
}

export class Connector {
  constructor(
    private readonly policy: ServiceUrlPolicy,
    private readonly tokens: TokenSource,
    private readonly limiter?: TeamsRateLimiter,
  ) {}

  async send(serviceUrl: string, conversationId: string, activity: Record<string, unknown>, fence?: Fence): Promise<string | undefined> {
    return this.limited(serviceUrl, conversationId, fence, () =>
      this.call(serviceUrl, async (c) => (await c.sendToConversation(conversationId, toActivity(activity)))?.id),
    );
  }

  async update(serviceUrl: string, conversationId: string, activityId: string, activity: Record<string, unknown>, fence?: Fence): Promise<void> {
    await this.limited(serviceUrl, conversationId, fence, () =>
      this.call(serviceUrl, (c) => c.updateActivity(conversationId, activityId, toActivity({ ...activity, id: activityId }))),
    );
  }

  /** Starts a new thread in a Teams channel with the given first activity. */
  async createThread(serviceUrl: string, params: { channelId: string; tenantId?: string; activity: Record<string, unknown> }, fence?: Fence): Promise<ThreadCreated> {
    return this.limited(serviceUrl, undefined, fence, () => this.call(serviceUrl, async (c) => {
      const res = await c.createConversation({
        isGroup: true,
        channelData: { channel: { id: params.channelId }, ...(params.tenantId ? { tenant: { id: params.tenantId } } : {}) },
        tenantId: params.tenantId,
        activity: toActivity(params.activity),
      } as never);
      const activityId = res.activityId ?? '';
      const conversationId = res.id && res.id.includes(';messageid=') ? res.id : `${params.channelId};messageid=${activityId}`;
      // The card that opened the thread is its first post: it counts against the thread's budget.
      this.limiter?.record(conversationId);
      return { conversationId, activityId };
    }));
  }

  /** A member of a team or conversation, or undefined when the service says there is no such member. */
  async getMember(serviceUrl: string, conversationId: string, userId: string): Promise<{ id: string; name?: string } | undefined> {
    try {
      return await this.call(serviceUrl, async (c) => {
        const m = await c.getConversationMember(userId, conversationId);
        return { id: m.id ?? userId, name: m.name };
      });
    } catch (err) {
      if (err instanceof DeliveryError && (err.status === 404 || err.status === 400 || err.status === 403)) return undefined;
      throw err;
    }
  }

  /** The team's roster, one page of up to 500 (the typeahead of the transfer choice). */
  async listMembers(serviceUrl: string, teamId: string): Promise<Array<{ id: string; name?: string; aadObjectId?: string }>> {
    return this.call(serviceUrl, async (c) => {
      // The Agents SDK's client has no paged-members call: the same authenticated client, the documented route.
      type Member = { id: string; name?: string; aadObjectId?: string };
      const res = await c.httpClient.get<{ members?: Member[] }>(`v3/conversations/${encodeURIComponent(teamId)}/pagedmembers?pageSize=500`);
      return (res.data?.members ?? []).map((m) => ({ id: m.id, name: m.name, aadObjectId: m.aadObjectId }));
    });
  }

  /**
   * Downloads a file a Teams user attached (an image pasted in a thread or a chat), with this registration's token:
   * only from allowed hosts, never following a redirect elsewhere, and never reading more than `maxBytes`.
   * Unlike Bot Connector calls the token also goes to a loopback host when one is configured (tests only: loopback
   * is refused in production, and local mode has no token).
   */
  async download(url: string, maxBytes: number, hosts: string[]): Promise<Buffer> {
    assertServiceUrl(url, this.policy);
    // The token goes only to the exact hosts the caller names (the Bot Connector the activity came from), never to
    // any host that merely matches the service-URL allow-list by suffix.
    const host = hostOf(url);
    if (!host || !hosts.some((h) => h.toLowerCase() === host)) throw new FileRefusedError(`attachments from ${host} are not fetched`);
    const parsed = new URL(url);
    if (parsed.username || parsed.password) throw new FileRefusedError('a file address with credentials in it is not fetched');
    const token = await this.tokenOrFail();
    let res: Response;
    try {
      res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, redirect: 'error', signal: AbortSignal.timeout(30_000) });
    } catch (err) {
      // A redirect (never followed) or a certificate the host cannot prove will not change on a retry: the file is
      // refused. The rest (refused or reset connections, time-outs) is the host now, and the line is retried.
      const cause = (err as { cause?: { message?: unknown; code?: unknown } }).cause;
      if (cause?.message === 'unexpected redirect') throw new FileRefusedError('the file\'s host answered with a redirect, which is not followed');
      if (typeof cause?.code === 'string' && /CERT|TLS|SSL/.test(cause.code)) throw new FileRefusedError(`the file's host could not be verified (${cause.code})`);
      throw new DeliveryError(`the file could not be downloaded now: ${(err as Error).message}`);
    }
    if (!res.ok || Number(res.headers.get('content-length') ?? 0) > maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      // A host that is busy or failing now (408, 429, 5xx) is no verdict on the file: retryable, so the line is retried.
      if (busyOrFailing(res.status)) throw new DeliveryError(`the file's host answered ${res.status}`, { status: res.status });
      throw new FileRefusedError(res.ok ? `the file is larger than ${maxBytes} bytes` : `the file could not be downloaded (HTTP ${res.status})`);
    }
    const bytes = await readAtMost(res, maxBytes);
    if (!bytes) throw new FileRefusedError(`the file is larger than ${maxBytes} bytes`);
    return bytes;
  }

  /**
   * Limits apply per conversation (a channel thread is a conversation of its own; creating a thread is not a
   * call in a conversation, so only the tenant budget applies); the service URL stands for the tenant (`…/{region}/{tenantId}/` for customers, the team's for agents).
   */
  private limited<T>(serviceUrl: string, conversationId: string | undefined, fence: Fence | undefined, op: () => Promise<T>): Promise<T> {
    const fenced = fence ? async () => (await fence(), op()) : op;
    if (!this.limiter) return fenced();
    return this.limiter.schedule(conversationId, serviceUrl, fenced);
  }

  private async call<T>(serviceUrl: string, op: (c: ConnectorClient) => Promise<T>): Promise<T> {
    const { loopback } = assertServiceUrl(serviceUrl, this.policy);
    const token = loopback ? '' : await this.tokenOrFail();
    const client = ConnectorClient.createClientWithToken(serviceUrl, token);
    try {
      return await op(client);
    } catch (err) {
      throw toDeliveryError(err);
    }
  }

  private async tokenOrFail(): Promise<string> {
    try {
      return await this.tokens.token();
    } catch (err) {
      throw new DeliveryError(`could not get a token: ${(err as Error).message}`);
    }
  }
}

/**
 * Our own activities, built by typed code, become the SDK's Activity without `Activity.fromObject`'s zod parse of
 * every field: the benchmark's profile had that parse as the largest single cost per line toward the customer
 * (docs/BENCHMARKS.md). Inbound activities are still parsed and checked where they arrive.
 */
function toActivity(activity: Record<string, unknown>): Activity {
  const out = Object.assign(new Activity('message'), activity);
  if (!out.type) out.type = 'message';
  return out;
}

interface HttpErrorLike {
  status?: number;
  response?: { status?: number; headers?: { get(name: string): string | null } };
  message?: string;
}

export function toDeliveryError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const e = err as HttpErrorLike;
  const status = e?.status ?? e?.response?.status;
  const retryAfter = e?.response?.headers?.get?.('retry-after');
  const retryAfterMs = retryAfter ? parseRetryAfter(retryAfter) : undefined;
  const message = (e?.message ?? String(err)).slice(0, 300);
  return new DeliveryError(message, {
    status,
    retryAfterMs,
    retryable: status === undefined || TEAMS_RETRYABLE_STATUSES.includes(status),
    unreachable: status !== undefined && TEAMS_UNREACHABLE_STATUSES.includes(status),
  });
}

export function parseRetryAfter(value: string): number | undefined {
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
