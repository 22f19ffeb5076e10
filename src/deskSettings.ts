/** Which kind of desk serves escalations (DESK, or a queue's own `desk`), and the live-chat desk's contract settings. */
import type { RawSettings } from './config';
import type { AgentQueue } from './queueSettings';

export type DeskKind = 'teams' | 'livechat';

export interface LiveChatSettings {
  baseUrl: string;
  apiKey?: string;
  bearerToken?: string;
  /** The Standard Webhooks secret (whsec_…); absent only in local mode (unsigned calls are then accepted). */
  webhookSecret?: string;
}

export interface DeskSettings {
  /** The desk of the default queue and of queues that name none. */
  desk: DeskKind;
  liveChat?: LiveChatSettings;
}

export function deskSettingsOf(v: RawSettings, queues: AgentQueue[], mode: { production: boolean; localMode: boolean }, problems: string[]): DeskSettings {
  const used = v.DESK === 'livechat' || queues.some((q) => q.desk === 'livechat');
  if (!used) return { desk: v.DESK };
  if (!v.LIVECHAT_BASE_URL) problems.push('LIVECHAT_BASE_URL: required when a live-chat desk is used (DESK=livechat or a queue with "desk": "livechat")');
  else {
    const url = new URL(v.LIVECHAT_BASE_URL); // a URL already (config.ts)
    if (url.protocol !== 'https:' && url.protocol !== 'http:') problems.push('LIVECHAT_BASE_URL: must be an http(s) URL');
    else if (mode.production && url.protocol !== 'https:') problems.push('LIVECHAT_BASE_URL: must be https in production');
    // fetch refuses such URLs on every call, and the password would sit in the environment for nothing.
    if (url.username || url.password) problems.push('LIVECHAT_BASE_URL: must not carry a user name or password; use LIVECHAT_API_KEY or LIVECHAT_BEARER_TOKEN');
  }
  if (!mode.localMode && !v.LIVECHAT_WEBHOOK_SECRET) {
    problems.push("LIVECHAT_WEBHOOK_SECRET: required when a live-chat desk is used outside local mode (the desk signs its webhooks with it, Standard Webhooks' whsec_… form)");
  }
  if (v.LIVECHAT_API_KEY && v.LIVECHAT_BEARER_TOKEN) problems.push('LIVECHAT_BEARER_TOKEN: set it or LIVECHAT_API_KEY, not both');
  return {
    desk: v.DESK,
    liveChat: v.LIVECHAT_BASE_URL ? { baseUrl: v.LIVECHAT_BASE_URL, apiKey: v.LIVECHAT_API_KEY, bearerToken: v.LIVECHAT_BEARER_TOKEN, webhookSecret: v.LIVECHAT_WEBHOOK_SECRET } : undefined,
  };
}
