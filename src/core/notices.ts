/** What the service itself says to customers and agents. One place, so wording and later localisation stay together. */
import type { AgentRef, Escalation } from './escalation';
import type { QueueStanding } from './events';

/** "45 seconds", "4 minutes", "1 h 20 min". */
export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  return `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
}

/**
 * When agents are back, in the office's time zone ("Monday 08:00 CET"), in the notices' own language: a German day
 * name inside an English sentence reads as a mistake. `locale` is for the day the sentences are translated too.
 */
export function openingTime(iso: string, timeZone: string, _locale?: string): string {
  const options: Intl.DateTimeFormatOptions = { timeZone, weekday: 'long', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' };
  return new Intl.DateTimeFormat('en-US', options).format(new Date(iso));
}

function standingText(s: QueueStanding, locale?: string): string {
  const parts: string[] = [];
  if (s.position === 1) parts.push('You are next in line.');
  else if (s.position) parts.push(`You are number ${s.position} in line.`);
  if (s.opensAt && s.timeZone) parts.push(`Our support team is away right now and back ${openingTime(s.opensAt, s.timeZone, locale)}; your chat keeps its place until then.`);
  else if (s.waitSeconds) parts.push(`The wait is about ${duration(s.waitSeconds)}.`);
  else parts.push('An agent will join this chat shortly.');
  return parts.join(' ');
}

/** How a closed chat ended, in a few words ("resolved by Ann", "the customer left"). */
export function howClosed(e: Escalation): string {
  switch (e.closedReason) {
    case 'customer':
      return 'the customer left';
    case 'agent':
      return `resolved by ${e.closedBy?.name}`;
    case 'inactive':
      return 'closed for inactivity';
    case 'supervisor':
      return `closed by ${e.closedBy?.name}`;
    default:
      return 'abandoned';
  }
}

export const notices = {
  inLine: (s: QueueStanding = {}, locale?: string) => `Thanks for waiting. You are in line for a support agent. ${standingText(s, locale)}`,
  queuePosition: (position: number) => (position === 1 ? 'You are next in line.' : `You are now number ${position} in line.`),
  agentJoined: (agent: AgentRef) => `${agent.name} joined the chat.`,
  released: (agent: AgentRef, s: QueueStanding = {}, locale?: string) => `${agent.name} handed your chat back to the queue. ${standingText(s, locale)}`,
  resolved: (agent: AgentRef) =>
    `${agent.name} ended the chat. You are back with the virtual agent; ask for a person again at any time.`,
  customerLeft: () => 'The customer left the chat.',
  // File names are the sender's text: never put into what the customer's chat renders as markdown.
  fileRefusedToCustomer: () =>
    'Sorry, we could not pass on your file: only images (PNG, JPEG, GIF or WebP, up to the size limit) can be sent in this chat. Please share a link to it instead.',
  fileRefusedForDesk: () => '(sent a file that could not be passed on: only images can be; they were asked to share a link)',
  fileNotTakenNowToAgent: () => 'Your image could not be stored just now, so it was not sent; your text was. Paste the image again in a moment.',
  fileRefusedToAgent: (names: string[]) =>
    `Not sent to the customer: ${names.map((n) => `"${n}"`).join(', ')}. Only images (PNG, JPEG, GIF or WebP, up to the size limit) can be passed on; share a link instead.`,
  surveyQuestion: () => 'Rate this chat from 1 (poor) to 5 (excellent).',
  thanksForRating: (score: number) => `Thank you for your rating (${score} / 5).`,
  forceClosed: () => 'The support team closed this chat. You are back with the virtual agent; ask for a person again at any time.',
  forceClosedInThread: (by: AgentRef) => `${by.name} (supervisor) closed this chat.`,
  transferredToAgent: (to: AgentRef) => `You are now chatting with ${to.name}.`,
  transferredToAgentInThread: (by: AgentRef) => `${by.name} transferred this chat to you.`,
  transferredToQueue: (by: AgentRef, queue: string) => `${by.name} transferred your chat to the ${queue} team. You are waiting for their next available agent.`,
  transferredAway: (by: AgentRef, from: string, queue: string) => `${by.name} transferred this chat from the ${from} queue to the ${queue} queue. This thread no longer reaches the customer.`,
  transferredFrom: (queue: string) => `Transferred from the ${queue} queue. The conversation so far:`,
  claimOverdue: (waitedSeconds: number, level: 'notify' | 'leads') =>
    `⏰ This chat has waited ${duration(waitedSeconds)} and nobody has claimed it yet.${level === 'leads' ? ' Escalated to the team leads.' : ''}`,
  replyOverdue: (waitedSeconds: number) => `⏰ The customer has waited ${duration(waitedSeconds)} for an answer.`,
  checkIn: (closeInSeconds: number) =>
    closeInSeconds > 0 ? `Are you still there? This chat closes in ${duration(closeInSeconds)} if we don't hear from you.` : 'Are you still there? Reply here to carry on the chat.',
  closedInactiveToCustomer: () => "This chat was closed because we didn't hear from you. You are back with the virtual agent; ask for a person again at any time.",
  closedInactiveToDesk: () => 'The chat was closed for inactivity: the customer did not answer the check-in.',
  customerUndeliverable: (reason: string) => `⚠️ This message could not be delivered to the customer: ${reason}`,
  deskUnreachable: () => 'Sorry, we could not reach the support team just now. Please try again in a few minutes.',
  deskUndeliverable: () =>
    'Sorry, your last message could not reach the support team. Please try again in a moment.',
  notOwner: (owner: AgentRef) => `This chat is handled by ${owner.name}; your message was not sent to the customer.`,
  closed: (e: Escalation) => `This chat is closed (${howClosed(e)}); your message was not sent.`,
};
